"""Webhooks over REST: register, list, deliveries, enable, remove, and who may."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest

from tests.api.rest_helpers import API, created, error_of, ok
from tests.conftest import FakeClock, World, auth
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


async def test_register_deliver_list_enable_and_remove_over_rest(
    http: httpx.AsyncClient, world: World, receiver: Receiver, clock: FakeClock
) -> None:
    hub = world.hub
    hub.webhooks.engine.disable_after = 1
    team = world.team.id
    hook = await created(http, f"/teams/{team}/webhooks", world.admin_key, {"url": receiver.url, "events": ["alert"]})
    receiver.answers = [500]
    await created(http, f"/teams/{team}/alerts", world.admin_key, {"message": "disk full"})
    with anyio.fail_after(5):
        await hub.webhooks.scan()
        await hub.webhooks.deliver_due()

    disabled = await ok(http, "GET", f"/webhooks/{hook['id']}", world.admin_key)
    assert not disabled["active"] and "HTTP 500" in disabled["disabled_reason"]
    pending = await ok(http, "GET", f"/webhooks/{hook['id']}/deliveries", world.admin_key, params={"status": "pending"})
    assert [(d["attempts"], d["last_status_code"]) for d in pending["deliveries"]] == [(1, 500)]

    enabled = await ok(http, "POST", f"/webhooks/{hook['id']}/enable", world.admin_key)
    assert enabled["active"] and enabled["consecutive_failures"] == 0
    with anyio.fail_after(5):
        await hub.webhooks.deliver_due()
    delivered = await ok(http, "GET", f"/webhooks/{hook['id']}/deliveries", world.admin_key)
    assert [(d["status"], d["attempts"]) for d in delivered["deliveries"]] == [("delivered", 2)]
    assert len(receiver.received) == 2 and receiver.received[1].signed_with(hook["secret"])

    listed = await ok(http, "GET", f"/teams/{team}/webhooks", world.admin_key)
    assert [w["id"] for w in listed["webhooks"]] == [hook["id"]]
    removed = await ok(http, "DELETE", f"/webhooks/{hook['id']}", world.admin_key)
    assert removed["id"] == hook["id"]
    error_of(await http.get(f"{API}/webhooks/{hook['id']}", headers=auth(world.admin_key)), 404, "not_found")


async def test_engineers_get_403_and_other_teams_404(http: httpx.AsyncClient, world: World) -> None:
    team = world.team.id
    builder = await world.agent("builder")
    body = {"url": "https://example.com/hook", "events": ["task.done"]}
    error_of(await http.post(f"{API}/teams/{team}/webhooks", json=body, headers=auth(builder.key)), 403, "forbidden")
    error_of(await http.get(f"{API}/teams/{team}/webhooks", headers=auth(builder.key)), 403, "forbidden")
    manager = await world.manager()
    hook = await created(http, f"/teams/{team}/webhooks", manager.key, body)

    stranger = await (await world.other_team()).manager()
    error_of(await http.post(f"{API}/teams/{team}/webhooks", json=body, headers=auth(stranger.key)), 404, "not_found")
    for method, path in (
        ("GET", f"/webhooks/{hook['id']}/deliveries"),
        ("POST", f"/webhooks/{hook['id']}/enable"),
        ("DELETE", f"/webhooks/{hook['id']}"),
    ):
        error_of(await http.request(method, API + path, headers=auth(stranger.key)), 404, "not_found")
    assert len((await ok(http, "GET", f"/teams/{team}/webhooks", manager.key))["webhooks"]) == 1


async def test_bad_bodies_are_refused(http: httpx.AsyncClient, world: World) -> None:
    team = world.team.id
    path = f"{API}/teams/{team}/webhooks"
    headers = auth(world.admin_key)
    bad_event = {"url": "https://example.com/hook", "events": ["task.done", "nope"]}
    error_of(await http.post(path, json=bad_event, headers=headers), 422, "invalid_input")
    bad_url = {"url": "gopher://example.com", "events": ["alert"]}
    error_of(await http.post(path, json=bad_url, headers=headers), 422, "invalid_input")
    extra = {"url": "https://example.com/hook", "events": ["alert"], "colour": "red"}
    assert (await http.post(path, json=extra, headers=headers)).status_code == 422
    bad_status = await http.get(f"{API}/webhooks/1/deliveries", params={"status": "lost"}, headers=headers)
    assert bad_status.status_code in (404, 422)
    assert (await ok(http, "GET", f"/teams/{team}/webhooks", world.admin_key))["webhooks"] == []
