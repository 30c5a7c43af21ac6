"""Signs of life, written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import InvalidInput
from switchboard.presence.models import AgentPresence
from switchboard.storage import schema as s
from switchboard.storage.database import dialect_insert
from switchboard.teams.models import Agent, AgentStatus, TeamSettings

SESSION_KEY_MAX = 200
RUNNING = "running"
CLAIMED = "claimed"


async def mark_alive(conn: AsyncConnection, agent: Agent, now: datetime) -> None:
    await conn.execute(s.agents.update().where(s.agents.c.id == agent.id).values(last_seen_at=now))


async def touch_session(conn: AsyncConnection, agent: Agent, session_key: str, now: datetime) -> None:
    """Record that `agent` is working in session `session_key`: opened (or reopened) as running, seen now."""
    session_key = session_key.strip()
    if not session_key or len(session_key) > SESSION_KEY_MAX:
        raise InvalidInput(f"a session id has 1 to {SESSION_KEY_MAX} characters", session_id=session_key[:50])
    statement = dialect_insert(conn, s.agent_sessions).values(
        team_id=agent.team_id,
        agent_id=agent.id,
        session_key=session_key,
        status=RUNNING,
        state={},
        started_at=now,
        updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[s.agent_sessions.c.agent_id, s.agent_sessions.c.session_key],
        set_={
            "updated_at": now,
            "ended_at": None,
            "status": sa.case(
                (s.agent_sessions.c.ended_at.is_(None), s.agent_sessions.c.status), else_=sa.literal(RUNNING)
            ),
        },
    )
    await conn.execute(statement)
    await mark_alive(conn, agent, now)


async def presence_of(conn: AsyncConnection, agent: Agent, now: datetime) -> AgentPresence:
    """The agent's presence as its team's settings judge it."""
    held = await conn.scalar(
        sa.select(sa.func.count()).where(s.tasks.c.holder_agent_id == agent.id, s.tasks.c.status == CLAIMED)
    )
    row = (
        await conn.execute(
            sa.select(s.agents.c.last_seen_at, s.teams.c.settings)
            .join(s.teams, s.teams.c.id == s.agents.c.team_id)
            .where(s.agents.c.id == agent.id)
        )
    ).one()
    offline_after = TeamSettings.from_json(row.settings or {}).offline_after_seconds
    status = AgentStatus.of(held or 0, row.last_seen_at, now, offline_after)
    return AgentPresence(agent.id, agent.name, status, held or 0, row.last_seen_at)
