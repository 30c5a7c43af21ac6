"""`switchboard demo` end to end: scripted agents, launched by the dispatcher, build the seed's four-task feature
in dependency order in worktrees of a throwaway repository; a reviewer approves each and each branch merges."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from switchboard.cli import app
from switchboard.demo.run import ENGINEERS, PLAN, git, run_demo


async def test_the_demo_builds_the_feature_in_dependency_order_reviewed_and_merged(
    tmp_path: Path, database_url: str
) -> None:
    lines: list[str] = []
    result = await run_demo(tmp_path, database_url, lines.append)

    assert result.feature_status == "done"
    assert all(turn.status == "succeeded" for turn in result.turns), [
        t.to_json(with_prompt=False) for t in result.turns
    ]
    by_agent = {turn.agent for turn in result.turns}
    assert by_agent == {"manager", "reviewer", *ENGINEERS}
    # Each sub-task: claimed, reviewed and merged; a task is claimed only after what it depends on merged.
    timeline = "\n".join(result.timeline)
    order = [
        timeline.index(f"{item['title']}: claimed by {item['target']}") for item in PLAN
    ]  # fmt: skip
    merged = [timeline.index(f"{item['title']}: branch") for item in PLAN]
    assert order == sorted(order) and all(m < c for m, c in zip(merged, order[1:], strict=False))
    assert timeline.count("reviewer says approve") == len(PLAN)
    # main holds each engineer's commit and a merge per task, and the files they wrote.
    assert len([line for line in result.main_log if "Merge branch" in line]) == len(PLAN)
    for item in PLAN:
        path = re.search(r"file: (\S+)", item["instructions"]).group(1)  # type: ignore[union-attr]
        assert f"Written by {item['target']}" in (result.repository / path).read_text()
        assert any(line.endswith(f"{item['target']}: {item['title']} (task #{_task_id(timeline, item['title'])})")
                   for line in result.main_log)  # fmt: skip
    assert git(result.repository, "status", "--porcelain") == ""
    assert lines[: len(result.timeline)] != [] and result.timeline[0] in lines


def _task_id(timeline: str, title: str) -> str:
    found = re.search(rf"#(\d+) {re.escape(title)}: claimed", timeline)
    assert found is not None
    return found.group(1)


def test_the_demo_command_prints_the_timeline_turns_and_history(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "feature #1 'Add user notification system': done" in result.stdout
    assert "reviewer says approve" in result.stdout and "git log main" in result.stdout
    assert (tmp_path / "demo" / "app" / "db" / "notifications.sql").exists()
