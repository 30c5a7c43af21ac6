"""The team's event stream over SSE. httpx's in-process transport waits for a response to end, which a stream
never does, so these tests speak ASGI to the app directly and hang up after the events they expect."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from switchboard.api.app import HubApp
from switchboard.hub import Hub
from switchboard.tasks.models import TaskDraft
from tests.api.rest_helpers import error_of
from tests.conftest import World, auth

pytestmark = pytest.mark.anyio


async def read_stream(app: HubApp, path: str, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    """The first `count` events of the stream at `path`: {"id", "event", "data"} each."""
    events: list[dict[str, Any]] = []
    hang_up = anyio.Event()
    buffer = b""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await hang_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal buffer
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        if message["type"] != "http.response.body":
            return
        buffer += message.get("body", b"")
        while b"\r\n\r\n" in buffer:
            block, buffer = buffer.split(b"\r\n\r\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().splitlines() if not line.startswith(":"))
            if "id" in fields and len(events) < count:
                events.append({"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])})
        if len(events) >= count:
            hang_up.set()

    with anyio.fail_after(5):
        await app(scope, receive, send)
    return events


async def test_the_stream_replays_the_teams_events_and_then_follows_new_ones(
    app: HubApp, hub: Hub, world: World
) -> None:
    manager = await world.manager()
    first = await hub.tasks.create_task(manager.principal, TaskDraft(title="First"))
    path = f"/api/v1/teams/{world.team.id}/events/stream"
    async with anyio.create_task_group() as tg:
        got: list[dict[str, Any]] = []

        async def listen() -> None:
            got.extend(await read_stream(app, path, auth(manager.key), 2))

        tg.start_soon(listen)
        with anyio.fail_after(5):
            while hub.notifier.waiting(world.team.id) < 1:
                await anyio.sleep(0)
        second = await hub.tasks.create_task(manager.principal, TaskDraft(title="Second"))
    assert [(e["event"], e["data"]["task_id"]) for e in got] == [("created", first.id), ("created", second.id)]
    assert got[0]["data"]["actor"] == "manager" and got[0]["id"] == got[0]["data"]["id"] < got[1]["id"]


async def test_the_stream_resumes_after_last_event_id_without_gaps_or_repeats(
    app: HubApp, hub: Hub, world: World
) -> None:
    manager = await world.manager()
    other = await world.other_team()
    for n in range(3):
        await hub.tasks.create_task(manager.principal, TaskDraft(title=f"Ours {n}"))
        await hub.tasks.create_task(world.admin, TaskDraft(title=f"Theirs {n}"), team_id=other.team.id)
    path = f"/api/v1/teams/{world.team.id}/events/stream"
    everything = await read_stream(app, path, auth(manager.key), 3)
    resumed = await read_stream(app, path, {**auth(manager.key), "Last-Event-ID": str(everything[0]["id"])}, 2)
    by_query = await read_stream(app, f"{path}?last_event_id={everything[1]['id']}", auth(manager.key), 1)
    assert [e["id"] for e in resumed] == [e["id"] for e in everything[1:]]
    assert [e["id"] for e in by_query] == [everything[2]["id"]]
    assert [e["data"]["task_id"] for e in everything] == sorted(e["data"]["task_id"] for e in everything)


async def test_another_teams_stream_is_not_found(http: httpx.AsyncClient, world: World) -> None:
    other = await world.other_team()
    manager = await world.manager()
    response = await http.get(f"/api/v1/teams/{other.team.id}/events/stream", headers=auth(manager.key))
    error_of(response, 404, "not_found")
