"""Claim latency as the store grows: `claim_next` and `complete_task` through the service on a database that
already holds 10,000, 100,000 or 1,000,000 tasks of the claiming agent's team.

The store is written in bulk with one INSERT ... SELECT per table (building it is not what is measured): every
task has one event, every tenth depends on the one before it, 2,000 are ready (spread over the whole id range, so
the ready queue is the same size at every store size), one in 97 failed, and the rest are done.
"""

from __future__ import annotations

import secrets
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bench._databases import fresh_database
from switchboard.config import Settings
from switchboard.hub import Hub, running_hub
from switchboard.storage import schema
from switchboard.teams.models import Principal

READY = 2000
T = schema.tasks


@dataclass
class ClaimTimes:
    """Milliseconds per `claim_next`, and per `claim_next` + `complete_task`, one list per pass; and how long the
    bulk load of the store took."""

    load_seconds: float
    claim_ms: list[list[float]] = field(default_factory=list)
    round_ms: list[list[float]] = field(default_factory=list)


async def claim_latency_by_size(backend: str, sizes: list[int], passes: int, rounds: int) -> dict[int, ClaimTimes]:
    """One database per store size, all built first; then `passes` rounds over them in turn, each pass doing
    `rounds` claim+complete rounds on every store, so that a change in the machine's load touches every size
    alike. One agent claims the next ready task and completes it; 20 rounds per store warm it up."""
    async with AsyncExitStack() as stack:
        stores = []
        for size in sizes:
            url, data_dir = await stack.enter_async_context(fresh_database(backend))
            settings = Settings(data_dir=data_dir, database_url=url, rate_burst=10**9)
            hub = await stack.enter_async_context(running_hub(settings))
            stores.append((size, hub, *(await _store_of(hub, settings, size))))
        for _, hub, worker, _ in stores:
            for _ in range(20):
                await _claim_and_complete(hub, worker)
        for _ in range(passes):
            for _, hub, worker, times in stores:
                claims, whole = zip(*[await _claim_and_complete(hub, worker) for _ in range(rounds)], strict=True)
                times.claim_ms.append(list(claims))
                times.round_ms.append(list(whole))
        return {size: times for size, _, _, times in stores}


async def _store_of(hub: Hub, settings: Settings, size: int) -> tuple[Principal, ClaimTimes]:
    """A team whose store holds `size` tasks, and the agent that will claim from it."""
    admin = await hub.keys.authenticate(settings.admin_key_file.read_text().strip())
    team = await hub.teams.create_team(admin, admin.org_id, f"store {secrets.token_hex(3)}")
    worker = await hub.keys.authenticate((await hub.keys.create_key(admin, team.id, "worker")).plaintext)
    earlier = await hub.teams.create_agent(admin, team.id, "earlier-worker", "engineer")
    started = time.perf_counter()
    await _store_tasks(hub, team.id, earlier.id, size)
    return worker, ClaimTimes(time.perf_counter() - started)


async def _claim_and_complete(hub: Hub, worker: Principal) -> tuple[float, float]:
    started = time.perf_counter()
    task = await hub.claims.claim_next(worker)
    claimed = time.perf_counter()
    assert task is not None, "the store ran out of ready tasks"
    await hub.claims.complete_task(worker, task.id, "SUCCESS")
    return (claimed - started) * 1000, (time.perf_counter() - started) * 1000


async def _store_tasks(hub: Hub, team_id: int, agent_id: int, count: int) -> None:
    now = hub.clock()
    step = max(1, count // READY)
    async with hub.db.write() as conn:
        i = _numbers(conn, count)
        status = sa.case((i % step == 0, "ready"), (i % 97 == 1, "failed"), else_="done")
        finished = sa.case((i % step == 0, None), else_=sa.bindparam("now", now, type_=T.c.finished_at.type))
        columns: dict[str, Any] = {
            "team_id": sa.literal(team_id),
            "title": sa.literal("stored task ") + sa.cast(i, sa.String),
            "instructions": sa.literal("Carry out the stored step and report the result."),
            "priority": sa.literal(1),
            "status": status,
            "target_kind": sa.literal("none"),
            "created_by": sa.literal("manager"),
            "holder_agent_id": sa.case((i % step == 0, None), else_=sa.literal(agent_id)),
            "attempt": sa.case((i % step == 0, 0), else_=1),
            "expired_leases": sa.literal(0),
            "max_attempts": sa.literal(3),
            "lease_seconds": sa.literal(1800),
            "tags": sa.bindparam("tags", [], type_=T.c.tags.type),
            "completed_status": sa.case((i % step == 0, None), (i % 97 == 1, "FAILED"), else_="SUCCESS"),
            "tokens_in": sa.literal(0),
            "tokens_out": sa.literal(0),
            "cost_usd": sa.literal(0.0),
            "created_at": sa.bindparam("created", now, type_=T.c.created_at.type),
            "updated_at": sa.bindparam("updated", now, type_=T.c.updated_at.type),
            "finished_at": finished,
        }
        rows = sa.select(*(value.label(name) for name, value in columns.items()))
        await conn.execute(T.insert().from_select(list(columns), rows))
        ours = sa.select(T.c.id, T.c.status).where(T.c.team_id == team_id).subquery()
        await conn.execute(
            schema.task_dependencies.insert().from_select(
                ["task_id", "depends_on_id"],
                sa.select(ours.c.id, ours.c.id - 1).where(ours.c.id % 10 == 0, ours.c.status == "done"),
            )
        )
        E = schema.events
        await conn.execute(
            E.insert().from_select(
                ["team_id", "task_id", "kind", "actor", "at", "data"],
                sa.select(
                    sa.literal(team_id),
                    ours.c.id,
                    sa.case((ours.c.status == "ready", "created"), else_="completed"),
                    sa.literal("manager"),
                    sa.bindparam("at", now, type_=E.c.at.type),
                    sa.bindparam("data", {}, type_=E.c.data.type),
                ),
            )
        )
    if hub.db.dialect == "postgresql":
        # A database that grew to this size has statistics (autovacuum analyzes it); a bulk load has none yet.
        async with hub.db.write() as conn:
            await conn.exec_driver_sql("ANALYZE tasks, task_dependencies, events")


def _numbers(conn: Any, count: int) -> sa.ColumnElement[int]:
    """1 to `count`, as a column to select from."""
    if conn.dialect.name == "postgresql":
        return sa.func.generate_series(1, count).table_valued("i").render_derived().c.i
    numbers = sa.select(sa.literal(1).label("i")).cte("numbers", recursive=True)
    numbers = numbers.union_all(sa.select(numbers.c.i + 1).where(numbers.c.i < count))
    return numbers.c.i
