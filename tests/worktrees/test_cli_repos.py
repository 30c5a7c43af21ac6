"""`switchboard repo` and `task diff|merge` against a real hub process (SQLite: the CLI only speaks REST,
whose behaviour on both backends the service and REST tests cover)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from switchboard.cli import app
from tests.live_hub import LiveHub, live_hub_for
from tests.worktrees.conftest import Repo


@pytest.fixture(scope="module", params=["sqlite"])
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def run(hub: LiveHub, *args: str, key: str | None = None) -> Result:
    extra = ["--key", key] if key is not None else []
    return CliRunner().invoke(app, [*args, *extra], env=hub.env)


def run_json(hub: LiveHub, *args: str, key: str | None = None) -> Any:
    result = run(hub, *args, "--json", key=key)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rest(hub: LiveHub, method: str, path: str, key: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{hub.url}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.is_success, response.text
    return response.json()


def test_repo_add_list_and_a_tasks_diff_and_merge(live_hub: LiveHub, repo: Repo, tmp_path: Path) -> None:
    answer = run_json(
        live_hub, "init", "--team", f"Team {secrets.token_hex(4)}", "--dir", str(tmp_path / "agents"),
        "--agent", "manager", "--agent", "builder:engineer",
    )  # fmt: skip
    keys = {a["agent"]["name"]: a["key"] for a in answer["agents"]}
    manager = keys["manager"]
    added = run_json(live_hub, "repo", "add", str(repo.path), "--name", "webapp", "--prefix", "feat/", key=manager)
    listed = run(live_hub, "repo", "list", key=keys["builder"])
    refused = run(live_hub, "repo", "add", str(repo.path), "--name", "again", key=keys["builder"])
    task = rest(live_hub, "POST", f"/teams/{answer['team']['id']}/tasks", keys["builder"], {"title": "Add bell icon"})
    claimed = rest(live_hub, "POST", f"/tasks/{task['id']}/claim", keys["builder"])
    repo.commit("bell.tsx", "export const Bell = 1\n", cwd=Path(claimed["worktree"]))
    patch = run(live_hub, "task", "diff", str(task["id"]), key=keys["builder"])
    files = run(live_hub, "task", "diff", str(task["id"]), "--files", key=keys["builder"])
    rest(live_hub, "POST", f"/tasks/{task['id']}/complete", keys["builder"], {})
    merged = run_json(live_hub, "task", "merge", str(task["id"]), "--strategy", "squash", key=keys["manager"])

    assert added["name"] == "webapp" and added["branch_prefix"] == "feat/"
    assert listed.exit_code == 0 and "webapp" in listed.stdout
    assert refused.exit_code == 1 and "forbidden" in refused.stderr
    assert claimed["worktree"].endswith(f"task-{task['id']}-add-bell-icon")
    assert patch.exit_code == 0 and "+export const Bell = 1" in patch.stdout
    assert files.exit_code == 0 and "bell.tsx" in files.stdout and "added" in files.stdout
    assert merged["status"] == "merged" and merged["branch"] == f"feat/{task['id']}-add-bell-icon"
    assert repo.show("main", "bell.tsx") == "export const Bell = 1"
