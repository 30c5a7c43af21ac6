"""What is new for an agent: the triggers a turn answers.

A trigger names one thing (a ready task at one attempt, one message, one answer, one review step) by a key; a key
that already started a turn never starts another. A task aimed at a group, a role, everyone or nobody is offered to
one agent at a time: its key is checked across the team.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.dispatch.models import Trigger, TriggerKind
from switchboard.storage import schema as s
from switchboard.teams.models import Agent, TargetKind
from switchboard.teams.targets import admitted_agents, admitting_clause

T = s.tasks
M = s.messages
D = s.message_deliveries
Q = s.questions
R = s.reviews
TT = s.turn_triggers

MAX_TRIGGERS = 50
PER_KIND = 20
# Answers and verdicts older than this are history, not news, for an agent that was just given a runner.
NEWS_WINDOW = timedelta(days=1)
# Work aimed at nobody goes to those who do the work, not to those who plan or review it.
NOT_FOR_UNAIMED_WORK = ("manager", "reviewer")
# When several kinds are new at once, the turn is named after the first of these.
KIND_ORDER = (
    TriggerKind.REVIEW_VERDICT,
    TriggerKind.REVIEW_REQUESTED,
    TriggerKind.QUESTION_ANSWERED,
    TriggerKind.TASK_READY,
    TriggerKind.MESSAGE,
)


async def pending_triggers(conn: AsyncConnection, agent: Agent, now: datetime) -> list[Trigger]:
    """The agent's triggers that no turn has answered yet, most important kind first."""
    found = [
        *await _ready_tasks(conn, agent),
        *await _unread_messages(conn, agent),
        *await _answers(conn, agent, now),
        *await _reviews(conn, agent, now),
    ]
    if not found:
        return []
    used = await _used_keys(conn, agent, found)
    fresh = [t for t in found if t.key not in used]
    # One ready task per turn, the best: an agent does one task at a time, and a task offered in a turn that
    # went to another task would never be offered again.
    tasks = [t for t in fresh if t.kind == TriggerKind.TASK_READY][:1]
    fresh = [t for t in fresh if t.kind != TriggerKind.TASK_READY] + tasks
    fresh.sort(key=lambda t: KIND_ORDER.index(t.kind))
    return fresh[:MAX_TRIGGERS]


async def _ready_tasks(conn: AsyncConnection, agent: Agent) -> list[Trigger]:
    admits = admitting_clause(T.c.target_kind, T.c.target_name, T.c.target_agent_id)
    if agent.role in NOT_FOR_UNAIMED_WORK:
        admits = sa.and_(admits, T.c.target_kind != TargetKind.NONE.value)
    rows = await conn.execute(
        sa.select(T.c.id, T.c.attempt, T.c.title, T.c.instructions, T.c.target_kind)
        .where(T.c.team_id == agent.team_id, T.c.status == "ready", admits)
        .order_by(T.c.priority.desc(), T.c.id)
        .limit(PER_KIND),
        admitted_agents([agent]),
    )
    return [
        Trigger(
            key=task_key(row.id, row.attempt),
            kind=TriggerKind.TASK_READY,
            summary=f"task #{row.id} is ready for you: {row.title}",
            task_id=row.id,
            detail=row.instructions or None,
        )
        for row in rows
    ]


def task_key(task_id: int, attempt: int) -> str:
    return f"task:{task_id}:{attempt}"


async def _unread_messages(conn: AsyncConnection, agent: Agent) -> list[Trigger]:
    rows = await conn.execute(
        sa.select(M.c.id, M.c.sender, M.c.message_type, M.c.body, M.c.task_id)
        .join(D, D.c.message_id == M.c.id)
        .where(
            D.c.agent_id == agent.id,
            D.c.read_at.is_(None),
            M.c.sender_agent_id.is_distinct_from(agent.id),
        )
        .order_by(M.c.id.desc())
        .limit(PER_KIND)
    )
    return [
        Trigger(
            key=f"message:{row.id}",
            kind=TriggerKind.MESSAGE,
            summary=f"message #{row.id} from {row.sender} ({row.message_type})",
            task_id=row.task_id,
            detail=row.body,
        )
        for row in reversed(rows.all())
    ]


async def _answers(conn: AsyncConnection, agent: Agent, now: datetime) -> list[Trigger]:
    rows = await conn.execute(
        sa.select(Q.c.id, Q.c.question, Q.c.answer, Q.c.answered_by, Q.c.task_id)
        .where(Q.c.agent_id == agent.id, Q.c.status == "answered", Q.c.answered_at >= now - NEWS_WINDOW)
        .order_by(Q.c.id)
        .limit(PER_KIND)
    )
    return [
        Trigger(
            key=f"answer:{row.id}",
            kind=TriggerKind.QUESTION_ANSWERED,
            summary=f"question #{row.id} was answered by {row.answered_by}",
            task_id=row.task_id,
            detail=f"Q: {row.question}\nA: {row.answer}",
        )
        for row in rows
    ]


async def _reviews(conn: AsyncConnection, agent: Agent, now: datetime) -> list[Trigger]:
    asked = sa.and_(R.c.reviewer_agent_id == agent.id, R.c.status == "pending")
    decided = sa.and_(R.c.engineer_agent_id == agent.id, R.c.status != "pending", R.c.decided_at >= now - NEWS_WINDOW)
    rows = await conn.execute(
        sa.select(R.c.id, R.c.task_id, R.c.status, R.c.request_summary, R.c.verdict_summary, R.c.decided_by)
        .where(R.c.team_id == agent.team_id, sa.or_(asked, decided), R.c.status != "withdrawn")
        .order_by(R.c.id)
        .limit(PER_KIND)
    )
    triggers = []
    for row in rows:
        if row.status == "pending":
            triggers.append(
                Trigger(
                    key=f"review:{row.id}:requested",
                    kind=TriggerKind.REVIEW_REQUESTED,
                    summary=f"task #{row.task_id} waits for your review",
                    task_id=row.task_id,
                    detail=row.request_summary,
                )
            )
        else:
            triggers.append(
                Trigger(
                    key=f"review:{row.id}:{row.status}",
                    kind=TriggerKind.REVIEW_VERDICT,
                    summary=f"review of task #{row.task_id}: {row.status} by {row.decided_by}",
                    task_id=row.task_id,
                    detail=row.verdict_summary,
                )
            )
    return triggers


async def _used_keys(conn: AsyncConnection, agent: Agent, triggers: Sequence[Trigger]) -> set[str]:
    task_keys = [t.key for t in triggers if t.kind == TriggerKind.TASK_READY]
    own_keys = [t.key for t in triggers if t.kind != TriggerKind.TASK_READY]
    # Task ids are unique across teams, so a task key is looked for among every agent's turns.
    mine = sa.and_(TT.c.agent_id == agent.id, TT.c.trigger_key.in_(own_keys))
    anyone = TT.c.trigger_key.in_(task_keys)
    rows = await conn.execute(sa.select(TT.c.trigger_key).where(sa.or_(mine, anyone)))
    return set(rows.scalars())


def main_kind(triggers: Sequence[Trigger]) -> TriggerKind:
    return min((t.kind for t in triggers), key=KIND_ORDER.index)
