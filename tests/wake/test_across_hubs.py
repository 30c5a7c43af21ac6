"""Wake-ups between hubs sharing one database: another Hub instance, a second `switchboard serve` process, and a
PostgreSQL listener whose connection is killed. Every wait is bounded below the 5 s periodic re-check, so a
waiter that returns in time was woken by the change."""

from __future__ import annotations

from pathlib import Path

import anyio
import asyncpg
import httpx
import pytest

from switchboard.config import Settings
from switchboard.hub import Hub
from switchboard.storage.notifier import PostgresNotifier
from switchboard.tasks.models import TaskDraft
from tests.conftest import PG_SERVER, FakeClock, World, auth
from tests.live_hub import serving
from tests.wake.helpers import start, until_waiting

pytestmark = pytest.mark.anyio


async def listening(hub: Hub) -> PostgresNotifier:
    notifier = hub.notifier
    assert isinstance(notifier, PostgresNotifier)
    with anyio.fail_after(5):
        await notifier.listening.wait()
    return notifier


async def test_a_waiter_is_woken_by_a_change_through_another_hub_on_the_same_database(
    hub: Hub, world: World, settings: Settings, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    other_hub = Hub(settings, clock)
    try:
        if not hub.db.is_sqlite:
            await listening(hub)
        with anyio.fail_after(3):
            async with anyio.create_task_group() as tg:
                claimed = start(tg, lambda: hub.claims.claim_next(builder.principal, wait_seconds=60))
                await until_waiting(hub.notifier, world.team.id)
                task = await other_hub.tasks.create_task(
                    world.admin, TaskDraft(title="From the other hub"), world.team.id
                )
                got = await claimed.result()
    finally:
        await other_hub.close()
    assert got is not None and got.id == task.id


@pytest.mark.postgres
async def test_a_waiter_is_woken_by_a_change_through_a_second_hub_process(
    hub: Hub, world: World, tmp_path: Path
) -> None:
    builder = await world.agent("builder")
    await listening(hub)
    with serving(tmp_path, hub.settings.resolved_database_url, "postgres") as second:
        async with httpx.AsyncClient(base_url=second.url) as client:
            with anyio.fail_after(3):
                async with anyio.create_task_group() as tg:
                    claimed = start(tg, lambda: hub.claims.claim_next(builder.principal, wait_seconds=60))
                    await until_waiting(hub.notifier, world.team.id)
                    response = await client.post(
                        f"/api/v1/teams/{world.team.id}/tasks",
                        json={"title": "From the second process"},
                        headers=auth(second.admin_key),
                    )
                    assert response.status_code == 201, response.text
                    got = await claimed.result()
    assert got is not None and got.id == response.json()["id"]


@pytest.mark.postgres
async def test_the_listener_reconnects_after_its_connection_is_killed_and_catches_up(
    hub: Hub, world: World, settings: Settings, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    notifier = await listening(hub)
    other_hub = Hub(settings, clock)
    admin = await asyncpg.connect(f"{PG_SERVER}/postgres", timeout=5)
    try:
        with anyio.fail_after(4):
            async with anyio.create_task_group() as tg:
                claimed = start(tg, lambda: hub.claims.claim_next(builder.principal, wait_seconds=60))
                await until_waiting(hub.notifier, world.team.id)
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", notifier.listener_pid)
                # Made while the listener is down or reconnecting: its notification may never arrive.
                first = await other_hub.tasks.create_task(
                    world.admin, TaskDraft(title="While it was down"), world.team.id
                )
                got = await claimed.result()
            assert got is not None and got.id == first.id
            assert notifier.connections_made >= 2
            async with anyio.create_task_group() as tg:
                claimed = start(tg, lambda: hub.claims.claim_next(builder.principal, wait_seconds=60))
                await until_waiting(hub.notifier, world.team.id)
                second = await other_hub.tasks.create_task(
                    world.admin, TaskDraft(title="After it came back"), world.team.id
                )
                got = await claimed.result()
            assert got is not None and got.id == second.id
    finally:
        await admin.close()
        await other_hub.close()


@pytest.mark.postgres
async def test_the_listener_reconnects_promptly_however_often_its_connection_is_lost(hub: Hub) -> None:
    notifier = await listening(hub)
    admin = await asyncpg.connect(f"{PG_SERVER}/postgres", timeout=5)
    try:
        for lost in range(1, 7):
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", notifier.listener_pid)
            # Each loss follows a connection that was up, so no back-off carries over from the one before.
            with anyio.fail_after(1):
                while notifier.connections_made <= lost or not notifier.listening.is_set():
                    await anyio.sleep(0.005)
    finally:
        await admin.close()


class _BrokenSender:
    """A sending connection caught by the server going away in the middle of a NOTIFY."""

    def is_closed(self) -> bool:
        return False

    async def executemany(self, *_: object) -> None:
        raise asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation is in progress")

    async def close(self, timeout: float | None = None) -> None:
        pass


@pytest.mark.postgres
async def test_a_committed_change_whose_notification_fails_is_still_answered(
    hub: Hub, world: World, settings: Settings, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    notifier = await listening(hub)
    notifier._sender = _BrokenSender()  # type: ignore[assignment]

    task = await hub.tasks.create_task(world.admin, TaskDraft(title="Committed"), world.team.id)

    assert (await hub.tasks.get_task(world.admin, task.id)).task.title == "Committed"
    await hub.claims.claim_task(builder.principal, task.id)
    # The next change reaches another hub, on a new connection.
    other_hub = Hub(settings, clock)
    try:
        await other_hub.notifier.start()
        await listening(other_hub)
        with anyio.fail_after(3):
            async with anyio.create_task_group() as tg:
                claimed = start(tg, lambda: other_hub.claims.claim_next(builder.principal, wait_seconds=60))
                await until_waiting(other_hub.notifier, world.team.id)
                announced = await hub.tasks.create_task(world.admin, TaskDraft(title="Announced"), world.team.id)
                got = await claimed.result()
    finally:
        await other_hub.close()
    assert got is not None and got.id == announced.id
