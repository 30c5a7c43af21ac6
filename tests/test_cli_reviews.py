"""`switchboard review request|submit|list` against a real hub process (SQLite: the CLI only speaks REST, whose
behaviour on both backends the service and REST tests cover)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_hub import LiveHub, live_hub_for
from tests.test_cli import new_team, run, run_json


@pytest.fixture(scope="module", params=["sqlite"])
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def rest(hub: LiveHub, key: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.post(f"{hub.url}/api/v1{path}", json=body or {}, headers={"Authorization": f"Bearer {key}"})
    assert response.is_success, response.text
    return response.json()


def test_an_engineer_asks_for_review_and_the_reviewer_answers_from_the_command_line(
    live_hub: LiveHub, tmp_path: Path
) -> None:
    team = new_team(live_hub, tmp_path, "manager", "builder:engineer", "critic:reviewer")
    keys, team_id = team["keys"], team["team"]["id"]
    task = rest(live_hub, keys["builder"], f"/teams/{team_id}/tasks", {"title": "Add the login form"})
    rest(live_hub, keys["builder"], f"/tasks/{task['id']}/claim")

    asked = run(live_hub, "review", "request", str(task["id"]), "--summary", "Form and tests.", key=keys["builder"])
    queue = run(live_hub, "review", "list", key=keys["critic"])
    changes = run_json(
        live_hub, "review", "submit", str(task["id"]), "request_changes", "--summary", "Close.",
        "--comment", "login.py:3: validate the e-mail", "--comment", "Add a test.", key=keys["critic"],
    )  # fmt: skip
    again = run_json(live_hub, "review", "request", str(task["id"]), "--reviewer", "critic", key=keys["builder"])
    approved = run(live_hub, "review", "submit", str(task["id"]), "approve", key=keys["critic"])
    history = run_json(live_hub, "review", "list", "--task", str(task["id"]), key=keys["manager"])
    refused = run(live_hub, "review", "submit", str(task["id"]), "reject", key=keys["critic"])
    everyone = run_json(live_hub, "review", "list", "--status", "all", key=keys["manager"])

    assert asked.exit_code == 0 and f"task #{task['id']} is in review by critic" in asked.stdout, asked.output
    assert queue.exit_code == 0 and "critic" in queue.stdout and "pending" in queue.stdout, queue.output
    assert changes["task"]["status"] == "claimed"
    assert changes["review"]["comments"] == ["login.py:3: validate the e-mail", "Add a test."]
    assert again["review"]["reviewer"] == "critic" and again["task"]["status"] == "in_review"
    assert approved.exit_code == 0 and f"task #{task['id']} is done" in approved.stdout, approved.output
    assert [r["status"] for r in history["reviews"]] == ["changes_requested", "approved"]
    assert refused.exit_code == 1 and "already has its verdict" in refused.stderr
    assert {r["id"] for r in everyone["reviews"]} == {r["id"] for r in history["reviews"]}
