"""Both seed documents' task flows, end to end against a real hub process over HTTP."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from examples.walkthrough import cachebash, entourage

from switchboard.client import HubClient
from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for

SCRIPT = Path(__file__).parent.parent / "examples" / "walkthrough.py"


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


@pytest.fixture
def admin(live_hub: LiveHub) -> Iterator[HubClient]:
    with HubClient(live_hub.url, live_hub.admin_key) as client:
        yield client


def test_entourage_team_works_through_its_dag_in_dependency_order(admin: HubClient) -> None:
    steps: list[str] = []
    outcome = entourage(admin, steps.append, slug=f"platform-{secrets.token_hex(3)}")

    agents = outcome["agents"]
    assert {"manager", "eng-backend", "eng-frontend"} <= set(agents)
    assert agents["eng-backend"]["description"] == "Backend specialist — Python, APIs, databases"
    assert agents["eng-frontend"]["model"] == "claude-sonnet-4-20250514"
    tasks = outcome["tasks"]
    assert tasks["page"]["depends_on"] == [tasks["api"]["id"]]
    assert tasks["api"]["finished_at"] <= tasks["page"]["claimed_at"]
    assert tasks["bell"]["target"] == "eng-frontend" and tasks["migration"]["target"] == "eng-backend"
    batch = [tasks[name]["id"] for name in ("migration", "endpoints", "bell")]
    assert tasks["completion_order"] == batch
    assert all(tasks[name]["status"] == "done" for name in ("feature", "api", "page", "migration", "endpoints", "bell"))
    assert sum("may not start" in step for step in steps) == 3


async def test_cachebash_builder_finds_claims_and_completes_the_architects_task_over_mcp(admin: HubClient) -> None:
    steps: list[str] = []
    with anyio.fail_after(30):
        done = await cachebash(admin, steps.append)

    assert (done["status"], done["completed_status"], done["holder"]) == ("done", "SUCCESS", "builder")
    assert (done["target"], done["priority"], done["created_by"]) == ("builder", "high", "architect")


def test_the_walkthrough_script_runs_both_flows_end_to_end(live_hub: LiveHub) -> None:
    command = [sys.executable, str(SCRIPT), "--url", live_hub.url, "--key", live_hub.admin_key,
               "--slug", f"platform-{secrets.token_hex(3)}"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "both walkthroughs completed" in result.stdout
