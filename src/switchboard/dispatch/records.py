"""Turns in storage: starting one (refused by the database when the agent already runs one or a trigger was
taken), ending it, keeping its lease, and ending the turns of hubs that stopped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.dispatch.models import RunOutcome, Trigger, TriggerKind, Turn, TurnStatus
from switchboard.storage import schema as s
from switchboard.tasks.records import append_events

TU = s.turns
TT = s.turn_triggers
U = s.usage_records
A = s.agents
OUTPUT_TAIL_CHARS = 16_000
# A turn whose hub died may never have reached its agent: its triggers are offered again. (A runner that
# cannot start keeps them: offering them again would only fail again.)
NOT_RUN = (TurnStatus.LOST,)


async def insert_turn(
    conn: AsyncConnection,
    *,
    team_id: int,
    agent_id: int,
    agent_name: str,
    hub_id: str,
    runner: str,
    trigger: TriggerKind,
    triggers: Sequence[Trigger],
    task_id: int | None,
    prompt: str,
    command: str | None,
    cwd: str | None,
    key_id: int | None,
    now: datetime,
    lease_until: datetime,
) -> int:
    """The new turn's id. Raises IntegrityError when the agent already runs a turn or a trigger was taken."""
    turn_id: int = (
        await conn.execute(
            TU.insert()
            .values(
                team_id=team_id,
                agent_id=agent_id,
                task_id=task_id,
                hub_id=hub_id,
                runner=runner,
                status=TurnStatus.RUNNING.value,
                trigger=trigger.value,
                triggers=[t.to_json() for t in triggers],
                prompt=prompt,
                command=command,
                cwd=cwd,
                key_id=key_id,
                started_at=now,
                lease_expires_at=lease_until,
                tokens_in=0,
                tokens_out=0,
                cost_usd=0.0,
            )
            .returning(TU.c.id)
        )
    ).scalar_one()
    await conn.execute(
        TT.insert(), [{"turn_id": turn_id, "agent_id": agent_id, "trigger_key": t.key} for t in triggers]
    )
    data = {"turn_id": turn_id, "agent": agent_name, "trigger": trigger.value, "runner": runner}
    await append_events(conn, team_id, "dispatcher", now, [(task_id, "turn_started", data)])
    return turn_id


async def end_turn(conn: AsyncConnection, turn_id: int, outcome: RunOutcome, now: datetime) -> bool:
    """Record how a running turn ended, with the usage its agent reported meanwhile; False if it had ended."""
    row = (await conn.execute(sa.select(TU).where(TU.c.id == turn_id))).first()
    if row is None or row.ended_at is not None:
        return False
    usage = (
        await conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(U.c.tokens_in), 0),
                sa.func.coalesce(sa.func.sum(U.c.tokens_out), 0),
                sa.func.coalesce(sa.func.sum(U.c.cost_usd), 0.0),
            ).where(U.c.agent_id == row.agent_id, U.c.at >= row.started_at, U.c.at <= now)
        )
    ).one()
    tail = outcome.output_tail[-OUTPUT_TAIL_CHARS:] if outcome.output_tail else outcome.output_tail
    await conn.execute(
        TU.update()
        .where(TU.c.id == turn_id)
        .values(
            status=outcome.status.value,
            ended_at=now,
            lease_expires_at=None,
            exit_code=outcome.exit_code,
            output_tail=tail,
            error=(outcome.error or None) and outcome.error[:1000],
            tokens_in=int(usage[0]),
            tokens_out=int(usage[1]),
            cost_usd=float(usage[2]),
        )
    )
    if outcome.status in NOT_RUN:
        await conn.execute(TT.delete().where(TT.c.turn_id == turn_id))
    if row.key_id is not None:
        await conn.execute(s.api_keys.update().where(s.api_keys.c.id == row.key_id).values(revoked_at=now))
    data = {"turn_id": turn_id, "status": outcome.status.value, "exit_code": outcome.exit_code}
    if outcome.error:
        data["error"] = outcome.error[:200]
    await append_events(conn, row.team_id, "dispatcher", now, [(row.task_id, "turn_ended", data)])
    return True


async def renew_leases(conn: AsyncConnection, turn_ids: Sequence[int], until: datetime) -> None:
    if turn_ids:
        await conn.execute(
            TU.update().where(TU.c.id.in_(turn_ids), TU.c.ended_at.is_(None)).values(lease_expires_at=until)
        )


async def lapsed_turns(conn: AsyncConnection, now: datetime) -> list[int]:
    """Running turns whose hub stopped renewing their lease."""
    rows = await conn.execute(
        sa.select(TU.c.id)
        .where(TU.c.status == TurnStatus.RUNNING.value, TU.c.lease_expires_at < now)
        .order_by(TU.c.id)
        .limit(100)
    )
    return list(rows.scalars())


async def running_turn_of(conn: AsyncConnection, agent_id: int) -> int | None:
    return await conn.scalar(sa.select(TU.c.id).where(TU.c.agent_id == agent_id, TU.c.ended_at.is_(None)))


async def busy_agents(conn: AsyncConnection, team_id: int) -> set[int]:
    """Agents of the team at work now: running a turn or holding a claim."""
    running = sa.select(TU.c.agent_id).where(TU.c.team_id == team_id, TU.c.ended_at.is_(None))
    holding = sa.select(s.tasks.c.holder_agent_id).where(s.tasks.c.team_id == team_id, s.tasks.c.status == "claimed")
    rows = await conn.execute(sa.union(running, holding))
    return {agent_id for (agent_id,) in rows if agent_id is not None}


def turn_query() -> sa.Select[Any]:
    return sa.select(TU, A.c.name.label("agent_name")).join(A, A.c.id == TU.c.agent_id)


def turn_from_row(row: Any) -> Turn:
    return Turn(
        id=row.id,
        team_id=row.team_id,
        agent_id=row.agent_id,
        agent=row.agent_name,
        task_id=row.task_id,
        hub_id=row.hub_id,
        runner=row.runner,
        status=TurnStatus(row.status),
        trigger=TriggerKind(row.trigger),
        triggers=tuple(row.triggers or ()),
        prompt=row.prompt,
        command=row.command,
        cwd=row.cwd,
        started_at=row.started_at,
        ended_at=row.ended_at,
        exit_code=row.exit_code,
        output_tail=row.output_tail,
        error=row.error,
        tokens_in=row.tokens_in,
        tokens_out=row.tokens_out,
        cost_usd=row.cost_usd,
    )


def lease_until(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
