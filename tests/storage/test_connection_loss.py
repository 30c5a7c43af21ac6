"""A PostgreSQL connection that dies under a call (the server restarting, an administrator ending it) makes the
call fail as unavailable, which every transport answers as "retry later", and the next call gets a new one."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa

from switchboard.errors import Unavailable
from switchboard.hub import Hub
from switchboard.storage import database
from switchboard.tasks.models import TaskDraft
from tests.conftest import PG_SERVER, World

pytestmark = pytest.mark.postgres


async def end_backend(pid: int) -> None:
    admin = await asyncpg.connect(f"{PG_SERVER}/postgres", timeout=5)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_write_whose_connection_is_ended_mid_transaction_fails_as_unavailable(hub: Hub, world: World) -> None:
    with pytest.raises(Unavailable):
        async with hub.db.write() as conn:
            await end_backend(await conn.scalar(sa.text("SELECT pg_backend_pid()")))
            await conn.execute(sa.text("SELECT 1"))

    task = await hub.tasks.create_task(world.admin, TaskDraft(title="After"), world.team.id)
    assert task.title == "After"


async def test_a_read_whose_connection_is_ended_fails_as_unavailable(hub: Hub, world: World) -> None:
    with pytest.raises(Unavailable):
        async with hub.db.read() as conn:
            await end_backend(await conn.scalar(sa.text("SELECT pg_backend_pid()")))
            await conn.execute(sa.text("SELECT 1"))

    task = await hub.tasks.create_task(world.admin, TaskDraft(title="Read after"), world.team.id)
    assert (await hub.tasks.get_task(world.admin, task.id)).task.title == "Read after"


async def test_a_connection_ended_while_it_sat_idle_is_replaced_before_a_call_uses_it(
    hub: Hub, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with hub.db.read() as conn:
        idle_pid = await conn.scalar(sa.text("SELECT pg_backend_pid()"))
    await end_backend(idle_pid)
    # Any time idle counts as long enough here: the pool checks the connection before handing it out again.
    monkeypatch.setattr(database, "PING_IDLE_SECONDS", 0.0)

    async with hub.db.read() as conn:
        assert await conn.scalar(sa.text("SELECT pg_backend_pid()")) != idle_pid
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="After the idle one"), world.team.id)
    assert task.title == "After the idle one"


async def test_a_connection_back_in_use_at_once_is_not_checked_first(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cost of not checking a busy connection: one ended between two calls fails the second, like a mid-call loss.
    monkeypatch.setattr(database, "PING_IDLE_SECONDS", 3600.0)
    async with hub.db.read() as conn:
        await end_backend(await conn.scalar(sa.text("SELECT pg_backend_pid()")))
    with pytest.raises(Unavailable):
        async with hub.db.read() as conn:
            await conn.execute(sa.text("SELECT 1"))
    async with hub.db.read() as conn:
        assert await conn.scalar(sa.text("SELECT 1")) == 1
