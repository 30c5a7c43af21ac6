"""Messages in storage: one row per message and one delivery per recipient, written in the caller's transaction,
and the queries that read them back as one viewer sees them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import NotFound
from switchboard.messages.models import Message, MessagePriority, MessageType, Receipt
from switchboard.storage import schema as s
from switchboard.tasks.records import LockRows, append_events
from switchboard.teams.models import Target, TargetKind

M = s.messages
D = s.message_deliveries


async def insert_message(
    conn: AsyncConnection,
    *,
    team_id: int,
    sender: str,
    sender_agent_id: int | None,
    target: Target,
    recipient_ids: Sequence[int],
    body: str,
    message_type: MessageType,
    priority: MessagePriority,
    now: datetime,
    thread_id: int | None = None,
    reply_to: int | None = None,
    task_id: int | None = None,
) -> int:
    """Store a message and deliver it to each recipient; returns its id. The event goes in the same transaction.

    Without a `thread_id` the message starts a conversation: its thread is its own id.
    """
    message_id: int = (
        await conn.execute(
            s.messages.insert()
            .values(
                team_id=team_id,
                sender_agent_id=sender_agent_id,
                sender=sender,
                target_kind=target.kind.value,
                target_name=target.name,
                target_agent_id=target.agent_id,
                message_type=message_type.value,
                priority=int(priority),
                body=body,
                thread_id=thread_id,
                reply_to=reply_to,
                task_id=task_id,
                recipient_count=len(recipient_ids),
                created_at=now,
            )
            .returning(s.messages.c.id)
        )
    ).scalar_one()
    if thread_id is None:
        await conn.execute(M.update().where(M.c.id == message_id).values(thread_id=message_id))
    if recipient_ids:
        await conn.execute(
            s.message_deliveries.insert(),
            [{"message_id": message_id, "agent_id": a, "priority": int(priority)} for a in recipient_ids],
        )
    data = {"message_id": message_id, "target": target.label, "recipients": list(recipient_ids)}
    await append_events(conn, team_id, sender, now, [(task_id, "message_sent", data)])
    return message_id


async def recipient_ids(conn: AsyncConnection, team_id: int, target: Target, sender_agent_id: int | None) -> list[int]:
    """Who receives a message aimed at `target`, now. The sender is not a recipient of its own multicast."""
    A = s.agents
    match target.kind:
        case TargetKind.AGENT:
            assert target.agent_id is not None
            return [target.agent_id]
        case TargetKind.GROUP:
            query = (
                sa.select(s.group_members.c.agent_id)
                .join(s.groups, s.groups.c.id == s.group_members.c.group_id)
                .where(s.groups.c.team_id == team_id, s.groups.c.name == target.name)
            )
        case TargetKind.ROLE:
            query = sa.select(A.c.id).where(A.c.team_id == team_id, A.c.role == target.name)
        case TargetKind.ALL:
            query = sa.select(A.c.id).where(A.c.team_id == team_id)
        case _:
            return []
    found = (await conn.execute(query)).scalars()
    return sorted(a for a in found if a != sender_agent_id)


def delivered_to(agent_id: int) -> sa.ColumnElement[bool]:
    """The message of the current row was delivered to `agent_id`."""
    return sa.exists().where(D.c.message_id == M.c.id, D.c.agent_id == agent_id)


def visible_to(agent_id: int) -> sa.ColumnElement[bool]:
    """The one visibility rule for agents: a message they sent or one delivered to them."""
    return sa.or_(M.c.sender_agent_id == agent_id, delivered_to(agent_id))


def read_count() -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.count())
        .select_from(D)
        .where(D.c.message_id == M.c.id, D.c.read_at.is_not(None))
        .scalar_subquery()
    )


async def fetch_messages(
    conn: AsyncConnection,
    where: sa.ColumnElement[bool],
    viewer: int | None,
    order: Sequence[Any] = (M.c.id,),
    limit: int | None = None,
    with_read_count: bool = False,
) -> list[Message]:
    """Messages as `viewer` (an agent id, or None for a person) sees them: `read_at` is the viewer's own."""
    mine = D.alias("mine")
    columns: list[Any] = [*M.c, mine.c.read_at.label("viewer_read_at")]
    if with_read_count:
        columns.append(read_count().label("read_count"))
    query = (
        sa.select(*columns)
        .select_from(M.outerjoin(mine, sa.and_(mine.c.message_id == M.c.id, mine.c.agent_id == (viewer or 0))))
        .where(where)
        .order_by(*order)
    )
    if limit is not None:
        query = query.limit(limit)
    return [message_from_row(r, with_read_count) for r in await conn.execute(query)]


async def receipts_of(conn: AsyncConnection, message_id: int) -> tuple[Receipt, ...]:
    rows = await conn.execute(
        sa.select(s.agents.c.name, D.c.agent_id, D.c.read_at)
        .join(s.agents, s.agents.c.id == D.c.agent_id)
        .where(D.c.message_id == message_id)
        .order_by(s.agents.c.name)
    )
    return tuple(Receipt(r.name, r.agent_id, r.read_at) for r in rows)


def message_from_row(row: Any, with_read_count: bool = False) -> Message:
    return Message(
        id=row.id,
        team_id=row.team_id,
        sender=row.sender,
        sender_agent_id=row.sender_agent_id,
        target=f"@{row.target_name}" if row.target_kind == TargetKind.ROLE.value else row.target_name,
        target_kind=row.target_kind,
        recipients=row.recipient_count,
        message_type=MessageType(row.message_type),
        priority=MessagePriority(row.priority),
        body=row.body,
        thread_id=row.thread_id,
        reply_to=row.reply_to,
        task_id=row.task_id,
        created_at=row.created_at,
        read_at=row.viewer_read_at,
        read_count=row.read_count if with_read_count else None,
    )


async def require_message(
    conn: AsyncConnection, message_id: int, viewer: int | None, with_read_count: bool = True
) -> Message:
    found = await fetch_messages(conn, M.c.id == message_id, viewer, with_read_count=with_read_count)
    if not found:
        raise NotFound(f"message {message_id} not found")
    return found[0]


async def inbox_ids(
    conn: AsyncConnection,
    agent_id: int,
    filters: list[sa.ColumnElement[bool]],
    *,
    unread: bool,
    limit: int,
    lock: LockRows | None = None,
) -> list[int]:
    """Message ids of the agent's deliveries in inbox order. Only delivery rows are locked, never the message
    rows, which every recipient of a multicast shares."""
    # For unread rows, read_at (all null) leads the order so that PostgreSQL walks the inbox index in order
    # instead of sorting every unread delivery: it does not treat `IS NULL` as an equality for ordering.
    order = (D.c.read_at, D.c.priority.desc(), D.c.message_id) if unread else (D.c.priority.desc(), D.c.message_id)
    query = (
        sa.select(D.c.message_id)
        .where(D.c.agent_id == agent_id, D.c.read_at.is_(None) if unread else D.c.read_at.is_not(None), *filters)
        .order_by(*order)
        .limit(limit)
    )
    if lock is not None:
        query = lock(query)
    return list((await conn.execute(query)).scalars())
