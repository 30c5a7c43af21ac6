"""The event feed hands out a team's events in id order, never skipping an id that commits late."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import asyncpg  # type: ignore[import-untyped]
import pytest

from switchboard.config import Settings
from switchboard.hub import Hub, running_hub
from switchboard.tasks.feed import GAP_GRACE_SECONDS, TeamEventFeed
from switchboard.tasks.models import TaskDraft, TaskEvent
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


@pytest.fixture
async def hub_of_its_own(postgres_url: str, tmp_path: Path) -> AsyncIterator[Hub]:
    """A hub on a database of its own: the hole this test leaves in the event ids must not meet other tests."""
    server, name = postgres_url.rsplit("/", 1)[0], f"switchboard_holes_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(f"{server.replace('+asyncpg', '')}/postgres", timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        async with running_hub(Settings(data_dir=tmp_path, database_url=f"{server}/{name}")) as hub:
            yield hub
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.postgres
async def test_a_hole_left_by_a_rolled_back_write_is_passed_long_before_the_grace(hub_of_its_own: Hub) -> None:
    hub = hub_of_its_own
    admin = await hub.keys.authenticate(hub.settings.admin_key_file.read_text().strip())
    team = await hub.teams.create_team(admin, admin.org_id, "holes")
    feed = TeamEventFeed(hub.db, team.id)
    await hub.tasks.create_task(admin, TaskDraft(title="Before"), team_id=team.id)
    assert len(await feed.next_events()) == 1
    with pytest.raises(RuntimeError):
        async with hub.db.write() as conn:
            await append_events(conn, team.id, "doomed", hub.clock(), [(None, "doomed", {})])
            raise RuntimeError("refused halfway")
    after = await hub.tasks.create_task(admin, TaskDraft(title="After"), team_id=team.id)
    handed_out: list[TaskEvent] = []
    # The feed waits for the transactions in progress when it first saw the hole (other databases' too), briefly.
    with anyio.fail_after(GAP_GRACE_SECONDS / 6):
        while not handed_out:
            handed_out = await feed.next_events()
    assert [(e.kind, e.task_id) for e in handed_out] == [("created", after.id)]
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
