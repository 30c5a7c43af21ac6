"""The `switchboard message` commands against a real hub process, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for
from tests.test_cli import new_team, run, run_json


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def test_a_message_goes_from_send_to_the_inbox_to_history(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer", "reviewer:reviewer")
    builder, reviewer = team["keys"]["builder"], team["keys"]["reviewer"]
    sent = run_json(live_hub, "message", "send", "reviewer", "PR #42 ready", "--type", "status",
                    "--priority", "high", key=builder)  # fmt: skip
    assert (sent["sender"], sent["target"], sent["message_type"], sent["priority"]) == (
        "builder",
        "reviewer",
        "STATUS",
        "high",
    )
    peek = run_json(live_hub, "message", "inbox", "--peek", key=reviewer)
    assert [(m["id"], m["read_at"]) for m in peek["messages"]] == [(sent["id"], None)]
    shown = run(live_hub, "message", "inbox", key=reviewer)
    assert shown.exit_code == 0 and "PR #42 ready" in shown.stdout
    assert "no unread messages" in run(live_hub, "message", "inbox", key=reviewer).stdout

    reply = run_json(live_hub, "message", "send", "builder", "approved", "--reply-to", str(sent["id"]), key=reviewer)
    assert reply["thread_id"] == sent["id"]
    thread = run_json(live_hub, "message", "history", "--thread", str(sent["id"]), key=builder)
    assert [m["body"] for m in thread["messages"]] == ["PR #42 ready", "approved"]
    mine = run_json(live_hub, "message", "sent", key=builder)
    assert [(m["body"], m["read_count"]) for m in mine["messages"]] == [("PR #42 ready", 1)]


def test_the_admin_messages_a_group_and_a_refusal_exits_with_1(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    team_id = str(team["team"]["id"])
    sent = run(live_hub, "message", "send", "builders", "freeze at 5pm", "--team", team_id)
    assert sent.exit_code == 0 and "(1 recipient)" in sent.stdout
    unknown = run(live_hub, "message", "send", "nobody-here", "hello?", "--team", team_id)
    assert unknown.exit_code == 1 and "unknown target" in unknown.stderr
    traffic = run_json(live_hub, "message", "history", "--team", team_id)
    assert [m["body"] for m in traffic["messages"]] == ["freeze at 5pm"]
