"""`switchboard usage`, `settings` and `sessions` against a real hub process, on SQLite and on PostgreSQL."""

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


def new_team(hub: LiveHub, tmp_path: Path) -> tuple[int, dict[str, str]]:
    """A fresh team with a manager and a builder; its id and each agent's key by name."""
    answer = run_json(
        hub, "init", "--team", f"Team {secrets.token_hex(4)}", "--dir", str(tmp_path), "--agent", "manager",
        "--agent", "builder:engineer",
    )  # fmt: skip
    return answer["team"]["id"], {a["agent"]["name"]: a["key"] for a in answer["agents"]}


def rest(hub: LiveHub, method: str, path: str, key: str, body: dict[str, Any]) -> Any:
    response = httpx.request(method, f"{hub.url}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.is_success, response.text
    return response.json()


def test_settings_set_and_show_change_only_the_settings_named(live_hub: LiveHub, tmp_path: Path) -> None:
    team, keys = new_team(live_hub, tmp_path)
    changed = run_json(
        live_hub, "settings", "set", "daily_cost_limit_usd=10.00", "max_concurrent_agents=3", "default_model=opus",
        key=keys["manager"],
    )  # fmt: skip
    assert changed["settings"]["daily_cost_limit_usd"] == 10.0
    shown = run_json(live_hub, "settings", "show", "--team", str(team))["settings"]
    assert (shown["max_concurrent_agents"], shown["default_model"], shown["lease_seconds"]) == (3, "opus", 1800)
    cleared = run_json(live_hub, "settings", "set", "max_concurrent_agents=null", key=keys["manager"])
    assert cleared["settings"]["max_concurrent_agents"] is None
    plain = run(live_hub, "settings", "show", key=keys["builder"])
    assert plain.exit_code == 0 and "daily_cost_limit_usd" in plain.stdout


def test_settings_refusals_exit_with_1_and_bad_pairs_with_2(live_hub: LiveHub, tmp_path: Path) -> None:
    _, keys = new_team(live_hub, tmp_path)
    denied = run(live_hub, "settings", "set", "max_attempts=5", key=keys["builder"])
    assert denied.exit_code == 1 and "forbidden" in denied.stderr
    unknown = run(live_hub, "settings", "set", "budget=5", key=keys["manager"])
    assert unknown.exit_code == 1 and "budget" in unknown.stderr
    malformed = run(live_hub, "settings", "set", "budget", key=keys["manager"])
    assert malformed.exit_code == 2


def test_usage_shows_the_cost_summary_and_today_against_the_limit(live_hub: LiveHub, tmp_path: Path) -> None:
    team, keys = new_team(live_hub, tmp_path)
    rest(live_hub, "PATCH", f"/settings/teams/{team}", keys["manager"], {"daily_cost_limit_usd": 10})
    rest(live_hub, "POST", "/usage", keys["builder"], {"tokens_in": 1000, "cost_usd": 2.5, "model": "opus"})
    summary = run_json(live_hub, "usage", "--days", "3", key=keys["builder"])
    assert len(summary["by_day"]) == 3
    assert summary["today"] == {"cost_usd": 2.5, "daily_cost_limit_usd": 10.0, "remaining_usd": 7.5}
    plain = run(live_hub, "usage", "--team", str(team))
    assert plain.exit_code == 0, plain.output
    assert "builder" in plain.stdout and "today: $2.50 of $10.00, $7.50 left" in plain.stdout


def test_sessions_lists_who_is_working_and_how_far_along(live_hub: LiveHub, tmp_path: Path) -> None:
    team, keys = new_team(live_hub, tmp_path)
    rest(live_hub, "PUT", "/sessions/builder-1", keys["builder"], {"status": "running", "progress": 40})
    rest(live_hub, "PUT", "/sessions/builder-0", keys["builder"], {"status": "done"})
    listed = run_json(live_hub, "sessions", key=keys["manager"])["sessions"]
    assert [(s["agent"], s["session_id"], s["progress"]) for s in listed] == [("builder", "builder-1", 40)]
    everything = run_json(live_hub, "sessions", "--all", "--agent", "builder", "--team", str(team))["sessions"]
    assert sorted(s["session_id"] for s in everything) == ["builder-0", "builder-1"]
    plain = run(live_hub, "sessions", "--team", str(team))
    assert plain.exit_code == 0 and "builder-1" in plain.stdout and "running" in plain.stdout
