"""A team's limits on claims: its daily cost limit and its cap on agents holding claims at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


_SETTINGS = sa.select(s.teams.c.settings).where(s.teams.c.id == sa.bindparam("team_id"))


async def team_settings(conn: AsyncConnection, team_id: int, lock_rows: LockRows | None = None) -> TeamSettings:
    query = _SETTINGS if lock_rows is None else lock_rows(_SETTINGS)
    return TeamSettings.from_json((await conn.scalar(query, {"team_id": team_id})) or {})


async def ensure_claim_allowed(
    conn: AsyncConnection, team_id: int, agent_id: int, now: datetime, lock_rows: LockRows
) -> None:
    """Refuse a new claim when the team is at its daily cost limit, or at its cap of agents holding claims
    and the claimer is not one of them. Call it inside the claim's transaction."""
    (await claim_allowance(conn, team_id, now, lock_rows)).admit(agent_id)


@dataclass
class ClaimAllowance:
    """A team's claim limits as one transaction sees them: `admit` each new claim in turn."""

    spent: float | None
    limit: float | None
    cap: int | None
    holders: set[int]

    def admit(self, agent_id: int) -> None:
        """Refuse the claim (LimitExceeded), or count `agent_id` among the holders."""
        if self.limit is not None and self.spent is not None and self.spent >= self.limit:
            raise LimitExceeded(
                f"team daily cost limit reached: spent ${self.spent:.2f} of ${self.limit:.2f} today "
                "(daily_cost_limit_usd)",
                limit="daily_cost_limit_usd",
                value=self.limit,
                current=round(self.spent, 6),
            )
        if self.cap is not None and agent_id not in self.holders and len(self.holders) >= self.cap:
            raise LimitExceeded(
                f"team concurrency limit reached: {len(self.holders)} of {self.cap} agents already hold claims "
                "(max_concurrent_agents); wait until one finishes",
                limit="max_concurrent_agents",
                value=self.cap,
                current=len(self.holders),
            )
        self.holders.add(agent_id)


async def claim_allowance(conn: AsyncConnection, team_id: int, now: datetime, lock_rows: LockRows) -> ClaimAllowance:
    """Read the team's limits, and what counts against them, inside the claiming transaction."""
    settings = await team_settings(conn, team_id)
    if settings.max_concurrent_agents is not None:
        # Two claims counting at once could both pass the cap: the team's row serialises them on PostgreSQL.
        settings = await team_settings(conn, team_id, lock_rows)
    limit = settings.daily_cost_limit_usd
    spent = await spent_today(conn, team_id, now) if limit is not None else None
    cap = settings.max_concurrent_agents
    holders: set[int] = set()
    if cap is not None:
        T = s.tasks
        holders = set(
            (
                await conn.execute(
                    sa.select(T.c.holder_agent_id).where(T.c.team_id == team_id, T.c.status == CLAIMED).distinct()
                )
            ).scalars()
        )
    return ClaimAllowance(spent, limit, cap, holders)
