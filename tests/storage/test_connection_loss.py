"""A PostgreSQL connection that dies under a call (the server restarting, an administrator ending it) makes the
call fail as unavailable, which every transport answers as "retry later", and the next call gets a new one."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa

from switchboard.errors import Unavailable
from switchboard.hub import Hub
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
