"""`switchboard questions`, `answer` and `alerts` against a real hub process, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for
from tests.test_cli import new_team, run, run_json


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def agent_post(hub: LiveHub, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """What an agent does over REST; the CLI is the person's side."""
    response = httpx.post(f"{hub.url}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_a_person_lists_pending_questions_and_answers_one(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    builder, team_id = team["keys"]["builder"], team["team"]["id"]
    asked = agent_post(live_hub, builder, f"/teams/{team_id}/questions",
                       {"question": "Rate-limit every endpoint?", "options": ["all", "users only"]})  # fmt: skip
    other = agent_post(live_hub, builder, f"/teams/{team_id}/questions", {"question": "Which region?"})

    pending = run_json(live_hub, "questions", "--team", str(team_id))["questions"]
    assert [q["id"] for q in pending] == [asked["id"], other["id"]]
    assert asked["id"] in [q["id"] for q in run_json(live_hub, "questions")["questions"]]
    shown = run(live_hub, "questions", "--team", str(team_id))
    assert shown.exit_code == 0 and "Which region?" in shown.stdout, shown.stdout

    answered = run(live_hub, "answer", str(asked["id"]), "Users Only")
    assert answered.exit_code == 0, answered.output
    assert f"answered question #{asked['id']} from builder: users only" in answered.stdout
    assert run_json(live_hub, "answer", str(other["id"]), "eu-west-1")["answer"] == "eu-west-1"

    assert run_json(live_hub, "questions", "--team", str(team_id))["questions"] == []
    everything = run_json(live_hub, "questions", "--team", str(team_id), "--all")["questions"]
    assert {q["id"]: q["status"] for q in everything} == {asked["id"]: "answered", other["id"]: "answered"}
    read = httpx.get(f"{live_hub.url}/api/v1/questions/{asked['id']}", headers={"Authorization": f"Bearer {builder}"})
    assert (read.json()["status"], read.json()["answer"]) == ("answered", "users only")


def test_refused_answers_exit_with_1_and_the_hubs_reason(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    builder, team_id = team["keys"]["builder"], team["team"]["id"]
    asked = agent_post(
        live_hub, builder, f"/teams/{team_id}/questions", {"question": "Ship?", "options": ["yes", "no"]}
    )

    outside = run(live_hub, "answer", str(asked["id"]), "maybe")
    assert outside.exit_code == 1
    assert "one of the options" in outside.stderr
    assert run_json(live_hub, "answer", str(asked["id"]), "yes")["answer"] == "yes"
    twice = run(live_hub, "answer", str(asked["id"]), "no")
    assert twice.exit_code == 1
    assert "already answered" in twice.stderr
    as_agent = run(live_hub, "answer", str(asked["id"]), "no", key=builder)
    assert as_agent.exit_code == 1
    assert "HTTP 403" in as_agent.stderr


def test_alerts_are_listed_and_acknowledged(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    builder, team_id = team["keys"]["builder"], str(team["team"]["id"])
    alert = agent_post(live_hub, builder, f"/teams/{team_id}/alerts", {"message": "main is red", "priority": "high"})

    listed = run_json(live_hub, "alerts", "--team", team_id)["alerts"]
    assert [(a["id"], a["priority"], a["message"]) for a in listed] == [(alert["id"], "high", "main is red")]
    shown = run(live_hub, "alerts", "--team", team_id, "--ack", str(alert["id"]))
    assert shown.exit_code == 0, shown.output
    assert f"acknowledged alert #{alert['id']}" in shown.stdout
    assert "no unacknowledged alerts" in shown.stdout
    everything = run_json(live_hub, "alerts", "--team", team_id, "--all")["alerts"]
    assert [(a["id"], a["acknowledged_at"] is not None) for a in everything] == [(alert["id"], True)]
