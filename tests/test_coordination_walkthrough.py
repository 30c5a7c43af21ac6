"""The CacheBash seed's coordination flows, end to end against a real hub process over MCP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from examples.coordination import CONTEXT_SUMMARY, coordination

from switchboard.client import HubClient
from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


async def test_messages_sprint_state_and_multicast_work_as_the_seed_shows(live_hub: LiveHub) -> None:
    steps: list[str] = []
    with HubClient(live_hub.url, live_hub.admin_key) as admin, anyio.fail_after(60):
        outcome = await coordination(admin, steps.append)

    messages = outcome["messages"]
    assert (messages["inbox"][0]["sender"], messages["inbox"][0]["message_type"]) == ("builder", "STATUS")
    assert messages["verdict"]["sender"] == "reviewer"
    sprint = outcome["sprint"]
    assert "wave" in sprint["refused"] or "blocked" in sprint["refused"]
    assert sprint["order"][:3] != sprint["order"][3:]
    assert set(sprint["order"][:3]) == {"story-1", "story-2", "story-3"}
    assert (sprint["final"]["percent_done"], sprint["done"]["status"]) == (100, "completed")
    assert outcome["state"]["context_summary"] == CONTEXT_SUMMARY
    multicast = outcome["multicast"]
    assert set(multicast["received"]) == {"builder", "builder-2", "builder-3"}
    assert len({m["body"] for m in multicast["received"].values()}) == 1


def test_the_coordination_script_runs_end_to_end(live_hub: LiveHub) -> None:
    command = [sys.executable, "-m", "examples.coordination", "--url", live_hub.url, "--key", live_hub.admin_key]
    result = subprocess.run(command, capture_output=True, text=True, timeout=90, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "coordination walkthrough completed" in result.stdout
