"""A team's limits on claims: its daily cost limit and its cap on agents holding claims at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import LimitExceeded
from switchboard.storage import schema as s
from switchboard.teams.models import TeamSettings

CLAIMED = "claimed"
LockRows = Callable[[sa.Select[Any]], sa.Select[Any]]


def start_of_day(now: datetime) -> datetime:
    """00:00 UTC of `now`'s day: daily limits and summaries count UTC days."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


async def spent_today(conn: AsyncConnection, team_id: int, now: datetime) -> float:
    """The team's spend since 00:00 UTC, from its ledger."""
    U = s.usage_records
    total = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(U.c.cost_usd), 0.0)).where(
            U.c.team_id == team_id, U.c.at >= start_of_day(now)
        )
    )
    return float(total or 0.0)


async def team_settings(conn: AsyncConnection, team_id: int, lock_rows: LockRows | None = None) -> TeamSettings:
    query = sa.select(s.teams.c.settings).where(s.teams.c.id == team_id)
    if lock_rows is not None:
        query = lock_rows(query)
    return TeamSettings.from_json((await conn.scalar(query)) or {})


async def ensure_claim_allowed(
    conn: AsyncConnection, team_id: int, agent_id: int, now: datetime, lock_rows: LockRows
) -> None:
    """Refuse a new claim when the team is at its daily cost limit, or at its cap of agents holding claims
    and the claimer is not one of them. Call it inside the claim's transaction."""
    settings = await team_settings(conn, team_id)
    if settings.max_concurrent_agents is not None:
        # Two claims counting at once could both pass the cap: the team's row serialises them on PostgreSQL.
        settings = await team_settings(conn, team_id, lock_rows)
    limit = settings.daily_cost_limit_usd
    if limit is not None:
        spent = await spent_today(conn, team_id, now)
        if spent >= limit:
            raise LimitExceeded(
                f"team daily cost limit reached: spent ${spent:.2f} of ${limit:.2f} today (daily_cost_limit_usd)",
                limit="daily_cost_limit_usd",
                value=limit,
                current=round(spent, 6),
            )
    cap = settings.max_concurrent_agents
    if cap is not None:
        T = s.tasks
        holders = set(
            (
                await conn.execute(
                    sa.select(T.c.holder_agent_id).where(T.c.team_id == team_id, T.c.status == CLAIMED).distinct()
                )
            ).scalars()
        )
        if agent_id not in holders and len(holders) >= cap:
            raise LimitExceeded(
                f"team concurrency limit reached: {len(holders)} of {cap} agents already hold claims "
                "(max_concurrent_agents); wait until one finishes",
                limit="max_concurrent_agents",
                value=cap,
                current=len(holders),
            )
