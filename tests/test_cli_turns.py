"""`switchboard agent runner`, `turn list|show`, and `switchboard dispatcher` beside a hub that does not dispatch."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from switchboard.cli import app
from tests.dispatch.test_live import eventually
from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for, serving

HELLO = "{python} -c \"print('hello from', '{agent}')\""


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def run(hub: LiveHub, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=hub.env)


def run_json(hub: LiveHub, *args: str) -> Any:
    result = run(hub, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def new_team(hub: LiveHub, tmp_path: Path) -> int:
    answer = run_json(
        hub, "init", "--team", f"Team {secrets.token_hex(4)}", "--dir", str(tmp_path), "--agent", "builder"
    )
    return int(answer["team"]["id"])


def finished_turns(hub: LiveHub, team: int) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = run_json(hub, "turn", "list", "--team", str(team))["turns"]
    return [t for t in turns if t["ended_at"]]


def test_a_runner_set_from_the_cli_runs_turns_that_the_cli_lists_and_shows(live_hub: LiveHub, tmp_path: Path) -> None:
    team = str(new_team(live_hub, tmp_path))
    set_ = run(live_hub, "agent", "runner", "builder", "--team", team, "--command", HELLO, "--timeout", "60")
    assert set_.exit_code == 0 and "command runner set" in set_.stdout, set_.output
    task = run_json(live_hub, "task", "create", "--team", team, "Say hello", "--target", "builder")

    (turn,) = eventually(lambda: finished_turns(live_hub, int(team)))
    listed = run(live_hub, "turn", "list", "--team", team, "--agent", "builder")
    shown = run(live_hub, "turn", "show", str(turn["id"]), "--prompt")
    cleared = run_json(live_hub, "agent", "runner", "builder", "--team", team, "--clear")

    assert turn["task_id"] == task["id"] and turn["status"] == "succeeded"
    assert "task_ready" in listed.stdout and "succeeded" in listed.stdout
    assert "hello from builder" in shown.stdout and "Say hello" in shown.stdout and "because:" in shown.stdout
    assert "runner" not in cleared["config"]


def test_runner_options_are_checked_before_anything_is_sent(live_hub: LiveHub, tmp_path: Path) -> None:
    team = str(new_team(live_hub, tmp_path))
    both = run(live_hub, "agent", "runner", "builder", "--team", team, "--command", "x", "--webhook", "https://a")
    bad_env = run(live_hub, "agent", "runner", "builder", "--team", team, "--command", "x", "--env", "NOVALUE")
    refused = run(live_hub, "agent", "runner", "builder", "--team", team, "--webhook", "https://a", "--secret", "short")
    assert both.exit_code == 2 and bad_env.exit_code == 2
    assert refused.exit_code == 1 and "secret" in refused.output


def test_the_dispatcher_runs_alone_beside_a_hub_that_does_not_dispatch(tmp_path: Path) -> None:
    (tmp_path / "hub").mkdir()
    with serving(tmp_path / "hub", None, "sqlite", extra=["--no-dispatch"]) as hub:
        team = str(new_team(hub, tmp_path))
        assert run(hub, "agent", "runner", "builder", "--team", team, "--command", HELLO).exit_code == 0
        run_json(hub, "task", "create", "--team", team, "Say hello", "--target", "builder")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        command = [sys.executable, "-m", "switchboard", "dispatcher", "--data-dir", str(hub.data_dir)]
        command += ["--public-url", hub.url]
        log = (tmp_path / "dispatcher.log").open("wb")
        with log, subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log) as dispatcher:
            try:
                assert dispatcher.stdout is not None
                announced = dispatcher.stdout.readline().decode()
                (turn,) = eventually(lambda: finished_turns(hub, int(team)))
            finally:
                dispatcher.terminate()
                dispatcher.wait(10)
    assert turn["status"] == "succeeded" and "hello from builder" in turn["output_tail"]
    # The turn was the lone dispatcher's, not the hub's.
    assert announced.startswith(f"dispatcher {turn['hub_id']}:"), announced
