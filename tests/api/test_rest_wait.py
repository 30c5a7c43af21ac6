"""Waiting calls over REST: the seed's POST /tasks/wait, and wait_seconds on claim-next and the inbox."""

from __future__ import annotations

import anyio
import httpx
import pytest

from switchboard.hub import Hub
from tests.api.rest_helpers import API, error_of, new_task, ok
from tests.conftest import World, auth
from tests.wake.helpers import start, until_waiting

pytestmark = pytest.mark.anyio


async def test_the_seeds_tasks_wait_returns_when_every_task_is_finished(
    http: httpx.AsyncClient, hub: Hub, world: World
) -> None:
    manager = await world.manager()
    one = await new_task(http, manager.key, world.team.id, "Create notifications table")
    two = await new_task(http, manager.key, world.team.id, "Build notification endpoints", depends_on=[one["id"]])
    body = {"task_ids": [str(one["id"]), str(two["id"])], "timeout_seconds": 3600}
    with anyio.fail_after(4):
        async with anyio.create_task_group() as tg:
            waited = start(tg, lambda: http.post(f"{API}/tasks/wait", json=body, headers=auth(manager.key)))
            await until_waiting(hub.notifier, world.team.id)
            await ok(http, "POST", f"/tasks/{one['id']}/complete", manager.key, json={"completed_status": "SUCCESS"})
            await until_waiting(hub.notifier, world.team.id)  # the dependent is ready now, not finished
            await ok(http, "POST", f"/tasks/{two['id']}/complete", manager.key, json={"completed_status": "FAILED"})
            response = await waited.result()
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["done"] is True and got["timed_out"] is False
    assert [(t["id"], t["status"]) for t in got["tasks"]] == [(one["id"], "done"), (two["id"], "failed")]


async def test_tasks_wait_answers_at_its_timeout_and_refuses_what_it_cannot_wait_for(
    http: httpx.AsyncClient, world: World
) -> None:
    manager = await world.manager()
    task = await new_task(http, manager.key, world.team.id, "Slow")
    got = await ok(http, "POST", "/tasks/wait", manager.key, json={"task_ids": [task["id"]], "timeout_seconds": 0.05})
    assert got["timed_out"] is True and [t["status"] for t in got["tasks"]] == ["ready"]
    other = await world.other_team()
    theirs = await new_task(http, world.admin_key, other.team.id, "Theirs")
    missing = await http.post(f"{API}/tasks/wait", json={"task_ids": [theirs["id"]]}, headers=auth(manager.key))
    error_of(missing, 404, "not_found")
    too_long = await http.post(
        f"{API}/tasks/wait", json={"task_ids": [task["id"]], "timeout_seconds": 7200}, headers=auth(manager.key)
    )
    error_of(too_long, 422, "invalid_input")


async def test_claim_next_with_wait_seconds_returns_the_task_created_while_it_waits(
    http: httpx.AsyncClient, hub: Hub, world: World
) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    path = f"{API}/teams/{world.team.id}/tasks/claim-next?wait_seconds=60"
    with anyio.fail_after(4):
        async with anyio.create_task_group() as tg:
            claimed = start(tg, lambda: http.post(path, headers=auth(builder.key)))
            await until_waiting(hub.notifier, world.team.id)
            task = await new_task(http, manager.key, world.team.id, "Wire the bell", target="builder")
            response = await claimed.result()
    assert response.status_code == 200 and response.json()["task"]["id"] == task["id"]


async def test_the_inbox_with_wait_seconds_returns_the_message_sent_while_it_waits(
    http: httpx.AsyncClient, hub: Hub, world: World
) -> None:
    builder = await world.agent("builder")
    tester = await world.agent("tester")
    with anyio.fail_after(4):
        async with anyio.create_task_group() as tg:
            inbox = start(tg, lambda: ok(http, "GET", "/messages/inbox?wait_seconds=60", builder.key))
            await until_waiting(hub.notifier, world.team.id)
            sent = {"recipient_id": "builder", "body": "schema is merged"}
            response = await http.post(f"{API}/teams/{world.team.id}/messages", json=sent, headers=auth(tester.key))
            assert response.status_code == 201, response.text
            got = await inbox.result()
    assert [m["body"] for m in got["messages"]] == ["schema is merged"]
