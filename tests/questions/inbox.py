"""Reading what the questions tests check straight from the tables: an agent's inbox, a team's events."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from switchboard.hub import Hub
from switchboard.storage import schema as s


@dataclass(frozen=True)
class Delivered:
    """A message as its recipient would find it."""

    sender: str
    sender_agent_id: int | None
    message_type: str
    priority: int
    body: str
    task_id: int | None
    target_name: str | None


async def inbox(hub: Hub, agent_id: int) -> list[Delivered]:
    """Every message delivered to the agent, oldest first."""
    m, d = s.messages, s.message_deliveries
    query = (
        sa.select(m.c.sender, m.c.sender_agent_id, m.c.message_type, m.c.priority, m.c.body, m.c.task_id,
                  m.c.target_name)
        .join(d, d.c.message_id == m.c.id)
        .where(d.c.agent_id == agent_id)
        .order_by(m.c.id)
    )  # fmt: skip
    async with hub.db.read() as conn:
        return [Delivered(*row) for row in await conn.execute(query)]


async def event_kinds(hub: Hub, team_id: int) -> list[str]:
    query = sa.select(s.events.c.kind).where(s.events.c.team_id == team_id).order_by(s.events.c.id)
    async with hub.db.read() as conn:
        return list((await conn.execute(query)).scalars())
