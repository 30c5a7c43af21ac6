"""Reviews in storage: their rows, read back with names, and whom to ask when no reviewer is named."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import NotFound
from switchboard.presence.records import CLAIMED
from switchboard.reviews.models import Comment, Review, ReviewStatus
from switchboard.storage import schema as s
from switchboard.teams.models import Agent, AgentStatus
from switchboard.teams.service import load_agents

RV = s.reviews
T = s.tasks
REVIEWER_ROLE = "reviewer"
HUB_ACTOR = "hub"
engineer = s.agents.alias("engineer")
reviewer = s.agents.alias("reviewer")
# Whom a request goes to when it names no one: idle reviewers before busy ones, offline ones last.
STATUS_RANK = {AgentStatus.IDLE: 0, AgentStatus.BUSY: 1, AgentStatus.OFFLINE: 2}


def review_query() -> sa.Select[Any]:
    return sa.select(
        RV,
        T.c.title.label("task_title"),
        engineer.c.name.label("engineer_name"),
        reviewer.c.name.label("reviewer_name"),
    ).select_from(
        RV.join(T, T.c.id == RV.c.task_id)
        .outerjoin(engineer, engineer.c.id == RV.c.engineer_agent_id)
        .outerjoin(reviewer, reviewer.c.id == RV.c.reviewer_agent_id)
    )


async def fetch_reviews(
    conn: AsyncConnection, where: sa.ColumnElement[bool], order: Sequence[Any] = (RV.c.id,), limit: int | None = None
) -> list[Review]:
    query = review_query().where(where).order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    return [review_from_row(r) for r in await conn.execute(query)]


async def require_review(conn: AsyncConnection, review_id: int) -> Review:
    found = await fetch_reviews(conn, RV.c.id == review_id)
    if not found:
        raise NotFound(f"review {review_id} not found")
    return found[0]


async def pending_review(conn: AsyncConnection, task_id: int) -> Review | None:
    found = await fetch_reviews(conn, sa.and_(RV.c.task_id == task_id, RV.c.status == ReviewStatus.PENDING.value))
    return found[-1] if found else None


def review_from_row(row: Any) -> Review:
    return Review(
        id=row.id,
        team_id=row.team_id,
        task_id=row.task_id,
        task_title=row.task_title,
        engineer=row.engineer_name,
        engineer_agent_id=row.engineer_agent_id,
        reviewer=row.reviewer_name,
        reviewer_agent_id=row.reviewer_agent_id,
        requested_by=row.requested_by,
        request_summary=row.request_summary,
        status=ReviewStatus(row.status),
        verdict_summary=row.verdict_summary,
        comments=tuple(row.comments or ()),
        decided_by=row.decided_by,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


async def insert_review(
    conn: AsyncConnection,
    *,
    task_row: Any,
    reviewer_agent_id: int,
    requested_by: str,
    summary: str | None,
    now: datetime,
) -> int:
    values = {
        "team_id": task_row.team_id,
        "task_id": task_row.id,
        "engineer_agent_id": task_row.holder_agent_id,
        "reviewer_agent_id": reviewer_agent_id,
        "requested_by": requested_by,
        "request_summary": summary,
        "status": ReviewStatus.PENDING.value,
        "comments": [],
        "created_at": now,
    }
    review_id: int = (await conn.execute(RV.insert().values(**values).returning(RV.c.id))).scalar_one()
    return review_id


async def decide(
    conn: AsyncConnection,
    review_id: int,
    status: ReviewStatus,
    summary: str | None,
    comments: list[Comment],
    decided_by: str,
    now: datetime,
) -> bool:
    """Record a verdict on a pending review; False when it was no longer pending (another verdict came first)."""
    result = await conn.execute(
        RV.update()
        .where(RV.c.id == review_id, RV.c.status == ReviewStatus.PENDING.value)
        .values(status=status.value, verdict_summary=summary, comments=comments, decided_by=decided_by, decided_at=now)
        .returning(RV.c.id)
    )
    return result.first() is not None


async def withdraw_pending(conn: AsyncConnection, task_id: int, now: datetime) -> list[Review]:
    """Withdraw the task's pending reviews (it ended, or left review, without a verdict); the reviews withdrawn."""
    result = await conn.execute(
        RV.update()
        .where(RV.c.task_id == task_id, RV.c.status == ReviewStatus.PENDING.value)
        .values(status=ReviewStatus.WITHDRAWN.value, decided_by=HUB_ACTOR, decided_at=now)
        .returning(RV.c.id)
    )
    ids = [r.id for r in result]
    return await fetch_reviews(conn, RV.c.id.in_(ids)) if ids else []


async def choose_reviewer(
    conn: AsyncConnection, team_id: int, engineer_id: int | None, now: datetime, offline_after_seconds: int
) -> Agent | None:
    """The fairest agent with role `reviewer` other than the engineer: idle first, then the fewest pending
    reviews, then the lowest id. None when the team has no such agent."""
    candidates = await load_agents(
        conn,
        sa.and_(
            s.agents.c.team_id == team_id,
            s.agents.c.role == REVIEWER_ROLE,
            s.agents.c.id != engineer_id if engineer_id is not None else sa.true(),
        ),
    )
    if not candidates:
        return None
    ids = [a.id for a in candidates]
    held = await _counts(conn, T.c.holder_agent_id, sa.and_(T.c.holder_agent_id.in_(ids), T.c.status == CLAIMED))
    waiting = await _counts(
        conn,
        RV.c.reviewer_agent_id,
        sa.and_(RV.c.reviewer_agent_id.in_(ids), RV.c.status == ReviewStatus.PENDING.value),
    )

    def rank(agent: Agent) -> tuple[int, int, int]:
        status = AgentStatus.of(held.get(agent.id, 0), agent.last_seen_at, now, offline_after_seconds)
        return STATUS_RANK[status], waiting.get(agent.id, 0), agent.id

    return min(candidates, key=rank)


async def _counts(conn: AsyncConnection, column: sa.Column[Any], where: sa.ColumnElement[bool]) -> dict[int, int]:
    rows = await conn.execute(sa.select(column, sa.func.count()).where(where).group_by(column))
    return {key: n for key, n in rows}
