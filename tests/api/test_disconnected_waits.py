"""A waiting call whose client hangs up stops waiting: it claims or reads nothing for an answer no one receives.

These run a real uvicorn server, since only a real connection can be closed under a waiting call.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from switchboard.api.app import HubApp
from switchboard.hub import Hub
from switchboard.messages.models import MessageDraft
from switchboard.storage.notifier import Notifier
from switchboard.tasks.models import TaskDraft, TaskStatus
from tests.api.rest_helpers import API, ok
from tests.conftest import World
from tests.wake.helpers import until_waiting

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving(app: HubApp) -> AsyncIterator[int]:
    """The app behind a real uvicorn server in this event loop; its port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # Listening before the server starts: a connection made early waits in the backlog.
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve, [sock])
            try:
                yield sock.getsockname()[1]
            finally:
                server.should_exit = True
    finally:
        sock.close()


async def until_nobody_waits(notifier: Notifier, team_id: int) -> None:
    while notifier.waiting(team_id) > 0:
        await anyio.sleep(0)


async def hang_up_while_waiting(port: int, request: str, hub: Hub, team_id: int) -> None:
    """Send a raw HTTP request, wait until the hub waits on its behalf, close the connection, and wait until
    the hub no longer waits."""
    stream = await anyio.connect_tcp("127.0.0.1", port)
    await stream.send(request.encode())
    await until_waiting(hub.notifier, team_id)
    await stream.aclose()
    await until_nobody_waits(hub.notifier, team_id)


async def test_a_rest_claim_next_whose_client_hangs_up_while_waiting_claims_nothing(
    app: HubApp, http: httpx.AsyncClient, hub: Hub, world: World
) -> None:
    gone = await world.agent("gone")
    builder = await world.agent("builder")
    request = (
        f"POST {API}/teams/{world.team.id}/tasks/claim-next?wait_seconds=60 HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: Bearer {gone.key}\r\nContent-Length: 0\r\n\r\n"
    )
    with anyio.fail_after(10):
        async with serving(app) as port:
            await hang_up_while_waiting(port, request, hub, world.team.id)
        task = await hub.tasks.create_task(world.admin, TaskDraft(title="for whoever is there"), world.team.id)
        got = await ok(http, "POST", f"/teams/{world.team.id}/tasks/claim-next", builder.key)

    assert got["task"]["id"] == task.id and got["task"]["holder"] == "builder" and got["task"]["attempt"] == 1
    events = await hub.tasks.get_task_events(world.admin, task.id)
    assert [(e.kind, e.actor) for e in events] == [("created", events[0].actor), ("claimed", "builder")]


async def test_a_rest_inbox_whose_client_hangs_up_while_waiting_marks_nothing_read(
    app: HubApp, http: httpx.AsyncClient, hub: Hub, world: World
) -> None:
    gone = await world.agent("gone")
    request = (
        f"GET {API}/messages/inbox?wait_seconds=60 HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: Bearer {gone.key}\r\n\r\n"
    )
    with anyio.fail_after(10):
        async with serving(app) as port:
            await hang_up_while_waiting(port, request, hub, world.team.id)
        await hub.messages.send_message(world.admin, MessageDraft(target="gone", message="still there?"), world.team.id)
        got = await ok(http, "GET", "/messages/inbox", gone.key)

    assert [m["body"] for m in got["messages"]] == ["still there?"]


async def test_an_mcp_claim_next_the_client_gives_up_while_waiting_claims_nothing(
    app: HubApp, http: httpx.AsyncClient, hub: Hub, world: World
) -> None:
    gone = await world.agent("gone")
    builder = await world.agent("builder")
    with anyio.fail_after(10):
        async with (
            serving(app) as port,
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {gone.key}"}) as raw,
            Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=raw)) as agent,
        ):
            # The agent gives up its call: the SDK closes the call's connection.
            async with anyio.create_task_group() as tg:
                tg.start_soon(agent.call_tool, "claim_next", {"waitSeconds": 60})
                await until_waiting(hub.notifier, world.team.id)
                tg.cancel_scope.cancel()
            await until_nobody_waits(hub.notifier, world.team.id)
        task = await hub.tasks.create_task(world.admin, TaskDraft(title="for whoever is there"), world.team.id)
        claimed = await hub.claims.claim_next(builder.principal)

    assert claimed is not None and claimed.id == task.id and claimed.holder == "builder"
    assert (await hub.tasks.get_task(world.admin, task.id)).task.status == TaskStatus.CLAIMED
