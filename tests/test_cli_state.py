"""The `switchboard state` commands against a real hub process, on SQLite and on PostgreSQL."""

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
from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for

SUMMARY = {"lastTask": {"taskId": "abc123", "outcome": "completed"}, "openQuestions": ["rate limits?"]}


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def run(hub: LiveHub, *args: str, key: str | None = None) -> Result:
    extra = ["--key", key] if key is not None else []
    return CliRunner().invoke(app, [*args, *extra], env=hub.env)


def run_json(hub: LiveHub, *args: str, key: str | None = None) -> Any:
    result = run(hub, *args, "--json", key=key)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def team_with_builder(hub: LiveHub, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A fresh team with a manager, a builder and a snoop; its id and each agent's key by name."""
    agents = ["--agent", "manager", "--agent", "builder:engineer", "--agent", "snoop:engineer"]
    answer = run_json(hub, "init", "--team", f"Team {secrets.token_hex(4)}", "--dir", str(tmp_path), *agents)
    return str(answer["team"]["id"]), {a["agent"]["name"]: a["key"] for a in answer["agents"]}


def save(hub: LiveHub, key: str, body: dict[str, Any]) -> None:
    response = httpx.put(
        f"{hub.url}/api/v1/agents/builder/state", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text


def test_show_and_history_answer_with_the_saved_state(live_hub: LiveHub, tmp_path: Path) -> None:
    team_id, keys = team_with_builder(live_hub, tmp_path)
    builder = keys["builder"]
    empty = run(live_hub, "state", "show", key=builder)
    assert empty.exit_code == 0 and "no program state yet" in empty.stdout
    save(live_hub, builder, {"contextSummary": SUMMARY})
    save(live_hub, builder, {"state": {"branch": "feature/users"}})

    own = run_json(live_hub, "state", "show", key=builder)
    assert (own["program_id"], own["version"], own["context_summary"]) == ("builder", 2, SUMMARY)
    assert own["state"]["branch"] == "feature/users"
    by_admin = run_json(live_hub, "state", "show", "builder", "--team", team_id)
    assert by_admin == own
    history = run_json(live_hub, "state", "history", "builder", "--limit", "1", key=keys["manager"])
    assert [v["version"] for v in history["versions"]] == [2]
    assert history["next_before_version"] == 2
    older = run_json(live_hub, "state", "history", "--before", "2", key=builder)
    assert [v["state"] for v in older["versions"]] == [{"contextSummary": SUMMARY}]

    shown = run(live_hub, "state", "show", key=builder)
    assert shown.exit_code == 0 and "version 2" in shown.stdout and "feature/users" in shown.stdout
    listed = run(live_hub, "state", "history", "builder", "--team", team_id)
    assert listed.exit_code == 0 and "merge" in listed.stdout


def test_list_shows_every_agent_for_a_manager(live_hub: LiveHub, tmp_path: Path) -> None:
    team_id, keys = team_with_builder(live_hub, tmp_path)
    save(live_hub, keys["builder"], {"contextSummary": "parser done"})
    overview = run_json(live_hub, "state", "list", key=keys["manager"])
    rows = {s["program_id"]: s for s in overview["states"]}
    assert set(rows) == {"manager", "builder", "snoop"}
    assert (rows["builder"]["version"], rows["builder"]["context_summary"]) == (1, "parser done")
    table = run(live_hub, "state", "list", "--team", team_id)
    assert table.exit_code == 0 and "parser done" in table.stdout


def test_refusals_exit_with_1_and_the_hubs_message(live_hub: LiveHub, tmp_path: Path) -> None:
    _, keys = team_with_builder(live_hub, tmp_path)
    forbidden = run(live_hub, "state", "show", "builder", key=keys["snoop"])
    assert forbidden.exit_code == 1 and "forbidden" in forbidden.stderr
    missing = run(live_hub, "state", "history", "nobody", key=keys["snoop"])
    assert missing.exit_code == 1 and "not found" in missing.stderr
    overview = run(live_hub, "state", "list", key=keys["snoop"])
    assert overview.exit_code == 1 and "only a manager or an admin" in overview.stderr
    admin_self = run(live_hub, "state", "show")
    assert admin_self.exit_code == 2 and "name an agent" in admin_self.stderr, admin_self.stderr
