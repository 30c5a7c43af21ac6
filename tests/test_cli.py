"""The `switchboard` command against a real hub process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from typer.testing import CliRunner, Result

from switchboard.cli import app
from switchboard.storage.migrate import head_revision
from tests.api.mcp_client import payload
from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for, serving


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


def new_team(hub: LiveHub, tmp_path: Path, *agents: str) -> dict[str, Any]:
    """A fresh team set up by `init`; returns its answer with each agent's key by name."""
    specs = [arg for agent in agents for arg in ("--agent", agent)]
    answer = run_json(hub, "init", "--team", f"Team {secrets.token_hex(4)}", "--dir", str(tmp_path), *specs)
    answer["keys"] = {a["agent"]["name"]: a["key"] for a in answer["agents"]}
    return dict(answer)


def test_init_writes_one_private_mcp_config_per_agent_with_a_working_key(live_hub: LiveHub, tmp_path: Path) -> None:
    answer = new_team(live_hub, tmp_path, "manager", "builder:engineer", "reviewer:reviewer")

    assert [(a["agent"]["name"], a["agent"]["role"]) for a in answer["agents"]] == [
        ("manager", "manager"),
        ("builder", "engineer"),
        ("reviewer", "reviewer"),
    ]
    for name in ("manager", "builder", "reviewer"):
        path = tmp_path / name / ".mcp.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        server = json.loads(path.read_text())["mcpServers"]["switchboard"]
        assert server["url"] == f"{live_hub.url}/mcp"
        me = httpx.get(f"{live_hub.url}/api/v1/whoami", headers=server["headers"]).json()
        assert (me["name"], me["team_id"]) == (name, answer["team"]["id"])


def test_init_without_agents_sets_up_a_builder_and_a_reviewer_and_reuses_the_team(
    live_hub: LiveHub, tmp_path: Path
) -> None:
    name = f"Team {secrets.token_hex(4)}"
    first = run(live_hub, "init", "--team", name, "--dir", str(tmp_path))
    assert first.exit_code == 0, first.output
    assert "builder" in first.stdout and "reviewer" in first.stdout
    again = run_json(live_hub, "init", "--team", name, "--dir", str(tmp_path / "again"), "--agent", "builder")
    agents = run_json(live_hub, "agent", "list", "--team", str(again["team"]["id"]))["agents"]
    assert sorted(a["name"] for a in agents) == ["builder", "manager", "reviewer"]
    assert (tmp_path / "builder" / ".mcp.json").exists() and (tmp_path / "reviewer" / ".mcp.json").exists()


def test_tasks_round_trip_through_create_list_show_claim_complete_and_events(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    builder, team_id = team["keys"]["builder"], str(team["team"]["id"])
    api = run_json(live_hub, "task", "create", "Add /api/users", "--team", team_id, "--target", "builder",
                   "--priority", "high", "--instructions", "GET and POST", "--type", "feature")  # fmt: skip
    page = run_json(live_hub, "task", "create", "Users page", "--team", team_id, "--depends-on", str(api["id"]))
    assert (api["status"], api["priority"], api["task_type"], page["status"]) == ("ready", "high", "feature", "blocked")

    listed = run_json(live_hub, "task", "list", "--team", team_id, "--status", "blocked")["items"]
    assert [t["id"] for t in listed] == [page["id"]]
    claimed = run_json(live_hub, "task", "claim", str(api["id"]), key=builder)
    assert (claimed["status"], claimed["holder"]) == ("claimed", "builder")
    done = run_json(live_hub, "task", "complete", str(api["id"]), "--result", "endpoint added", key=builder)
    assert (done["status"], done["result"], done["completed_status"]) == ("done", "endpoint added", "SUCCESS")

    shown = run_json(live_hub, "task", "show", str(page["id"]), key=builder)
    assert (shown["status"], shown["depends_on"]) == ("ready", [api["id"]])
    events = run_json(live_hub, "task", "events", str(api["id"]))["events"]
    assert [e["kind"] for e in events][:1] == ["created"]
    assert {"claimed", "completed"} <= {e["kind"] for e in events}
    table = run(live_hub, "task", "list", "--team", team_id)
    assert table.exit_code == 0 and "Users page" in table.stdout


def test_claim_next_takes_the_highest_priority_task_and_says_when_there_is_none(
    live_hub: LiveHub, tmp_path: Path
) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    builder, team_id = team["keys"]["builder"], str(team["team"]["id"])
    run_json(live_hub, "task", "create", "Tidy up", "--team", team_id, "--priority", "low")
    urgent = run_json(live_hub, "task", "create", "Fix the outage", "--team", team_id, "--priority", "critical")

    assert run_json(live_hub, "task", "claim-next", key=builder)["task"]["id"] == urgent["id"]
    run_json(live_hub, "task", "claim-next", key=builder)
    empty = run(live_hub, "task", "claim-next", key=builder)
    assert empty.exit_code == 0 and "no ready task" in empty.stdout


def test_agent_and_key_commands_answer_json_and_a_revoked_key_stops_working(live_hub: LiveHub, tmp_path: Path) -> None:
    team_id = str(new_team(live_hub, tmp_path)["team"]["id"])
    agent = run_json(live_hub, "agent", "create", "eng-backend", "--team", team_id, "--role", "engineer",
                     "--model", "claude-sonnet-4-20250514", "--description", "Backend specialist")  # fmt: skip
    assert (agent["name"], agent["description"]) == ("eng-backend", "Backend specialist")
    issued = run_json(live_hub, "key", "create", "eng-backend", "--team", team_id, "--label", "ci",
                      "--expires-in-days", "7")  # fmt: skip
    assert issued["program_id"] == "eng-backend" and issued["expires_at"] is not None
    assert issued["id"] in [k["id"] for k in run_json(live_hub, "key", "list", "--team", team_id)["keys"]]
    assert issued["id"] in [k["id"] for k in run_json(live_hub, "key", "list")["keys"]]

    revoked = run_json(live_hub, "key", "revoke", str(issued["id"]))
    assert revoked["revoked_at"] is not None
    refused = run(live_hub, "task", "list", key=issued["key"])
    assert refused.exit_code == 1
    assert "revoked" in refused.stderr


def test_refusals_exit_with_1_and_the_hubs_message(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    builder, team_id = team["keys"]["builder"], str(team["team"]["id"])

    missing = run(live_hub, "task", "show", "987654321")
    assert missing.exit_code == 1
    assert "not found" in missing.stderr
    forbidden = run(live_hub, "agent", "create", "intruder", "--team", team_id, key=builder)
    assert forbidden.exit_code == 1
    assert "only a manager or an admin" in forbidden.stderr
    blocked = run_json(live_hub, "task", "create", "Later", "--team", team_id, "--depends-on",
                       str(run_json(live_hub, "task", "create", "First", "--team", team_id)["id"]))  # fmt: skip
    early = run(live_hub, "task", "claim", str(blocked["id"]), key=builder)
    assert early.exit_code == 1
    assert "blocked" in early.stderr


def test_a_hub_that_does_not_answer_exits_with_3(tmp_path: Path) -> None:
    with socket_that_refuses() as url:
        result = CliRunner().invoke(app, ["task", "list", "--team", "1", "--url", url, "--key", "sb_x"])
    assert result.exit_code == 3
    assert "no hub answered" in result.stderr


def test_no_key_anywhere_is_a_usage_error_exiting_with_2(tmp_path: Path) -> None:
    env = {"SWITCHBOARD_DATA_DIR": str(tmp_path), "SWITCHBOARD_KEY": None}
    result = CliRunner().invoke(app, ["task", "list", "--team", "1"], env=env)
    assert result.exit_code == 2
    assert "--key" in result.stderr


def test_migrate_brings_a_new_database_to_the_head_revision(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["migrate", "--data-dir", str(tmp_path), "--json"], env={"SWITCHBOARD_DATABASE_URL": None}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"revision": head_revision()}


async def test_mcp_over_stdio_speaks_for_the_key_it_was_started_with(live_hub: LiveHub, tmp_path: Path) -> None:
    builder = new_team(live_hub, tmp_path, "builder:engineer")["keys"]["builder"]
    args = ["-m", "switchboard", "mcp", "--data-dir", str(live_hub.data_dir)]
    if live_hub.database is not None:
        args += ["--database", live_hub.database]
    server = StdioServerParameters(command=sys.executable, args=args, env={"SWITCHBOARD_KEY": builder})
    async with Client(server) as client:
        result = await client.call_tool("whoami", {})
    assert payload(result)["name"] == "builder"


@contextmanager
def socket_that_refuses() -> Iterator[str]:
    """A URL on a port that is taken but not listened on, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_mcp_with_a_bad_key_exits_with_1_and_writes_nothing_to_stdout(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "switchboard", "mcp", "--key", "sb_unknown", "--data-dir", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    result = subprocess.run(command, input="", capture_output=True, text=True, timeout=60, env=env)
    assert (result.returncode, result.stdout) == (1, "")
    assert "unknown API key" in result.stderr


def test_serve_prints_the_admin_key_only_when_it_creates_it(tmp_path: Path) -> None:
    with serving(tmp_path, None, "sqlite") as hub:
        first = (tmp_path / "hub.log").read_text()
    assert f"admin key file: {hub.data_dir / 'admin.key'}" in first
    assert hub.admin_key in first
    with serving(tmp_path, None, "sqlite"):
        second = (tmp_path / "hub.log").read_text()
    assert "admin key file:" in second
    assert hub.admin_key not in second
