"""The event feed hands out a team's events in id order, never skipping an id that commits late."""

from __future__ import annotations

import anyio
import pytest

from switchboard.hub import Hub
from switchboard.tasks.feed import TeamEventFeed
from switchboard.tasks.models import TaskDraft
from switchboard.tasks.records import append_events
from tests.conftest import World

pytestmark = pytest.mark.anyio


async def test_the_feed_resumes_after_a_given_event_with_only_the_teams_events(hub: Hub, world: World) -> None:
    manager = await world.manager()
    other = await world.other_team()
    ours = [await hub.tasks.create_task(manager.principal, TaskDraft(title=f"Ours {n}")) for n in range(3)]
    await hub.tasks.create_task(world.admin, TaskDraft(title="Theirs"), team_id=other.team.id)
    everything = await TeamEventFeed(hub.db, world.team.id).next_events()
    resumed = await TeamEventFeed(hub.db, world.team.id, everything[0].id).next_events()
    assert [e.task_id for e in everything] == [t.id for t in ours]
    assert resumed == everything[1:]


@pytest.mark.postgres
async def test_an_event_committed_late_is_not_skipped(hub: Hub, world: World) -> None:
    feed = TeamEventFeed(hub.db, world.team.id)
    manager = await world.manager()
    await hub.tasks.create_task(manager.principal, TaskDraft(title="Before"))
    assert len(await feed.next_events()) == 1
    slow_has_its_id = anyio.Event()
    finish_slow = anyio.Event()

    async def slow_writer() -> None:
        async with hub.db.write() as conn:
            await append_events(conn, world.team.id, "slow", hub.clock(), [(None, "slow", {})])
            slow_has_its_id.set()
            await finish_slow.wait()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(slow_writer)
            await slow_has_its_id.wait()
            fast = await hub.tasks.create_task(manager.principal, TaskDraft(title="Fast"))
            held_back = await feed.next_events()
            assert feed.waiting_on_a_hole
            finish_slow.set()
        after_commit = await feed.next_events()
    assert held_back == []
    assert [(e.kind, e.task_id) for e in after_commit] == [("slow", None), ("created", fast.id)]
    assert not feed.waiting_on_a_hole


async def test_a_feed_skipped_to_now_hands_out_only_later_events(hub: Hub, world: World) -> None:
    manager = await world.manager()
    await hub.tasks.create_task(manager.principal, TaskDraft(title="Before"))
    feed = TeamEventFeed(hub.db, world.team.id)

    position = await feed.skip_to_now()
    later = await hub.tasks.create_task(manager.principal, TaskDraft(title="After"))

    assert [e.task_id for e in await TeamEventFeed(hub.db, world.team.id, position).next_events()] == [later.id]
    assert [e.task_id for e in await feed.next_events()] == [later.id]


@pytest.mark.postgres
async def test_skipping_to_now_stops_before_an_event_not_committed_yet(hub: Hub, world: World) -> None:
    manager = await world.manager()
    slow_has_its_id = anyio.Event()
    finish_slow = anyio.Event()

    async def slow_writer() -> None:
        async with hub.db.write() as conn:
            await append_events(conn, world.team.id, "slow", hub.clock(), [(None, "slow", {})])
            slow_has_its_id.set()
            await finish_slow.wait()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(slow_writer)
            await slow_has_its_id.wait()
            fast = await hub.tasks.create_task(manager.principal, TaskDraft(title="Fast"))
            position = await TeamEventFeed(hub.db, world.team.id).skip_to_now()
            finish_slow.set()
        handed_out = await TeamEventFeed(hub.db, world.team.id, position).next_events()
    assert [(e.kind, e.task_id) for e in handed_out] == [("slow", None), ("created", fast.id)]
