"""`switchboard webhook` against a real hub process, whose own housekeeping sends the deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for
from tests.test_cli import new_team, run, run_json
from tests.webhooks.receiver import Receiver

# The hub sends due deliveries every second; the margin is for a busy machine.
DELIVERY_TIMEOUT_SECONDS = 20


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def test_a_person_adds_a_webhook_and_the_running_hub_delivers_to_it(
    live_hub: LiveHub, tmp_path: Path, receiver: Receiver
) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    team_id = str(team["team"]["id"])
    added = run(live_hub, "webhook", "add", receiver.url, "--event", "alert", "-e", "task.done", "--team", team_id)
    assert added.exit_code == 0, added.output
    assert "sends alert, task.done to" in added.stdout and "signing secret (shown only now): whsec_" in added.stdout
    secret = added.stdout.split("signing secret (shown only now): ")[1].split()[0]
    [hook] = run_json(live_hub, "webhook", "list", "--team", team_id)["webhooks"]

    response = httpx.post(
        f"{live_hub.url}/api/v1/teams/{team_id}/alerts",
        json={"message": "the build is red"},
        headers={"Authorization": f"Bearer {team['keys']['builder']}"},
    )
    assert response.status_code == 201, response.text
    [received] = receiver.wait_for(1, DELIVERY_TIMEOUT_SECONDS)
    assert received.event == "alert" and received.signed_with(secret)
    assert received.json["data"]["message"] == "the build is red"

    [delivery] = run_json(live_hub, "webhook", "deliveries", str(hook["id"]))["deliveries"]
    assert (delivery["status"], delivery["event"]) == ("delivered", "alert")
    shown = run(live_hub, "webhook", "deliveries", str(hook["id"]))
    assert shown.exit_code == 0 and "delivered" in shown.stdout, shown.output
    assert f"webhook #{hook['id']} is active again" in run(live_hub, "webhook", "enable", str(hook["id"])).stdout
    removed = run(live_hub, "webhook", "remove", str(hook["id"]))
    assert removed.exit_code == 0 and f"removed webhook #{hook['id']}" in removed.stdout, removed.output
    assert run_json(live_hub, "webhook", "list", "--team", team_id)["webhooks"] == []


def test_an_engineer_key_is_refused(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    refused = run(live_hub, "webhook", "add", "https://example.com/h", "-e", "alert", key=team["keys"]["builder"])
    assert refused.exit_code == 1
    assert "only a manager or an admin may register webhooks" in refused.output
