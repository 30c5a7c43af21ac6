"""The team's event stream rides out a database that is away for a while: it stays open and goes on from where
it was once a read succeeds again."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from switchboard.api.app import HubApp
from switchboard.errors import Unavailable
from switchboard.hub import Hub
from switchboard.tasks.feed import TeamEventFeed
from switchboard.tasks.models import TaskDraft
from tests.api.test_sse import read_stream
from tests.conftest import World, auth

pytestmark = pytest.mark.anyio


async def test_a_read_that_finds_the_database_away_leaves_the_stream_open_to_deliver_later_events(
    app: HubApp, hub: Hub, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = await world.manager()
    first = await hub.tasks.create_task(manager.principal, TaskDraft(title="First"))
    refused = anyio.Event()
    next_events = TeamEventFeed.next_events

    async def away_once(feed: TeamEventFeed) -> Any:
        if not refused.is_set():
            refused.set()
            raise Unavailable("database unavailable: the server went away")
        return await next_events(feed)

    monkeypatch.setattr(TeamEventFeed, "next_events", away_once)
    path = f"/api/v1/teams/{world.team.id}/events/stream"
    got: list[dict[str, Any]] = []
    async with anyio.create_task_group() as tg:

        async def listen() -> None:
            got.extend(await read_stream(app, path, auth(manager.key), 2))

        tg.start_soon(listen)
        with anyio.fail_after(5):
            await refused.wait()
            while hub.notifier.waiting(world.team.id) < 1:
                await anyio.sleep(0)
        second = await hub.tasks.create_task(manager.principal, TaskDraft(title="Second"))
    assert [(e["event"], e["data"]["task_id"]) for e in got] == [("created", first.id), ("created", second.id)]
