"""Writing messages: one row per message and one delivery per recipient, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.messages.models import MessagePriority, MessageType
from switchboard.storage import schema as s
from switchboard.tasks.records import append_events
from switchboard.teams.models import Target


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
    """Store a message and deliver it to each recipient; returns its id. The event goes in the same transaction."""
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
    if recipient_ids:
        await conn.execute(
            s.message_deliveries.insert(),
            [{"message_id": message_id, "agent_id": a, "priority": int(priority)} for a in recipient_ids],
        )
    data = {"message_id": message_id, "target": target.label, "recipients": list(recipient_ids)}
    await append_events(conn, team_id, sender, now, [(task_id, "message_sent", data)])
    return message_id
