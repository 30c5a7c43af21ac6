"""Agents' working sessions (their pulse) and when a silent one is closed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Forbidden, InvalidInput, NotFound
from switchboard.limits import PROGRESS_MAX, TEXT_MAX_BYTES, check_bytes, check_chars
from switchboard.presence.models import Session, SessionStatus
from switchboard.presence.records import touch_session
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks.records import append_events
from switchboard.teams.models import Agent, Principal, TeamSettings
from switchboard.teams.service import TeamService

S = s.agent_sessions
CURRENT_ACTION_MAX_CHARS = 500
LIST_MAX = 500
# CacheBash's pulse names a session's lifecycle in `state`; these are the statuses its words mean here.
CACHEBASH_STATES = {
    "working": SessionStatus.RUNNING,
    "pinned": SessionStatus.RUNNING,
    "blocked": SessionStatus.BLOCKED,
    "complete": SessionStatus.DONE,
}


class SessionService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def update_session(
        self,
        principal: Principal,
        session_id: str,
        status: str | None = None,
        progress: float | None = None,
        state: dict[str, Any] | str | None = None,
        current_action: str | None = None,
    ) -> Session:
        """Open or update the caller's session `session_id`: status, progress (0-100), what it is doing now,
        and a JSON state. `done` or `closed` ends it; a later update reopens it."""
        agent = principal.agent
        if agent is None:
            raise Forbidden("an admin key is not an agent: only agents have working sessions")
        change = _pulse(status, progress, state, current_action)
        now = self.clock()
        key = (session_id or "").strip()
        async with self.db.write() as conn:
            await touch_session(conn, agent, key, now)
            if "status" in change:
                change["ended_at"] = now if SessionStatus(change["status"]).ends_session else None
            if change:
                await conn.execute(S.update().where(S.c.agent_id == agent.id, S.c.session_key == key).values(**change))
            session = await _load_session(conn, agent, key)
            data = {"session_id": key, "status": session.status, "progress": session.progress}
            await append_events(conn, agent.team_id, agent.name, now, [(None, "session_updated", data)])
        return session

    async def list_sessions(
        self,
        principal: Principal,
        team_id: int | None = None,
        agent: str | int | None = None,
        include_ended: bool = False,
        limit: int = 100,
    ) -> list[Session]:
        """The team's working sessions, most recently updated first: open ones, or all with `include_ended`."""
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"limit must be from 1 to {LIST_MAX}", limit=limit)
        team = await self.teams.default_team(principal, team_id)
        where: list[sa.ColumnElement[bool]] = [S.c.team_id == team.id]
        if not include_ended:
            where.append(S.c.ended_at.is_(None))
        async with self.db.read() as conn:
            if agent is not None:
                found = await self.teams.find_agent(conn, team.id, agent)
                if found is None:
                    raise NotFound(f"agent {agent} not found in team {team.id}", agent=str(agent))
                where.append(S.c.agent_id == found.id)
            rows = await conn.execute(
                _session_query().where(*where).order_by(S.c.updated_at.desc(), S.c.id.desc()).limit(limit)
            )
            return [_session(r) for r in rows]

    async def close_silent(self) -> int:
        """Close open sessions silent for longer than their team's `session_timeout_seconds`; returns how many."""
        now = self.clock()
        closed = 0
        async with self.db.write() as conn:
            teams = await conn.execute(
                sa.select(s.teams.c.id, s.teams.c.settings).where(
                    s.teams.c.id.in_(sa.select(S.c.team_id).where(S.c.ended_at.is_(None)).distinct())
                )
            )
            for team_id, settings in teams.all():
                timeout = TeamSettings.from_json(settings or {}).session_timeout_seconds
                # The condition is checked again on the locked row, so a session touched meanwhile stays open.
                result = await conn.execute(
                    S.update()
                    .where(
                        S.c.team_id == team_id,
                        S.c.ended_at.is_(None),
                        S.c.updated_at < now - timedelta(seconds=timeout),
                    )
                    .values(status=SessionStatus.CLOSED.value, ended_at=now)
                    .returning(S.c.session_key, S.c.agent_id, S.c.updated_at)
                )
                events = [
                    (
                        None,
                        "session_closed",
                        {
                            "session_id": r.session_key,
                            "agent_id": r.agent_id,
                            "silent_seconds": round((now - r.updated_at).total_seconds()),
                        },
                    )
                    for r in result
                ]
                await append_events(conn, team_id, "hub", now, events)
                closed += len(events)
        return closed


def _pulse(
    status: str | None, progress: float | None, state: dict[str, Any] | str | None, current_action: str | None
) -> dict[str, Any]:
    """The columns an update changes, checked before anything is written.

    CacheBash's shape is accepted too: a `status` that is not one of ours is its status text (kept as the
    current action), and a `state` word (working, blocked, complete, pinned) sets the status.
    """
    change: dict[str, Any] = {}
    known = {v.value for v in SessionStatus}
    if status is not None and status.strip().lower() in known:
        change["status"] = status.strip().lower()
    elif status is not None:
        check_chars("status", status, CURRENT_ACTION_MAX_CHARS)
        current_action = current_action if current_action is not None else status
    if isinstance(state, str):
        word = state.strip().lower()
        if word not in CACHEBASH_STATES:
            raise InvalidInput(
                "state is a JSON object (or one of working, blocked, complete, pinned)", state=state[:50]
            )
        change.setdefault("status", CACHEBASH_STATES[word].value)
    elif state is not None:
        if not isinstance(state, dict):
            raise InvalidInput("state must be a JSON object", state=type(state).__name__)
        check_bytes("state", json.dumps(state), TEXT_MAX_BYTES)
        change["state"] = state
    if progress is not None:
        if isinstance(progress, bool) or not 0 <= progress <= PROGRESS_MAX:
            raise InvalidInput(f"progress is a number from 0 to {PROGRESS_MAX}", progress=progress)
        change["progress"] = round(progress)
    if current_action is not None:
        check_chars("current_action", current_action, CURRENT_ACTION_MAX_CHARS)
        change["current_action"] = current_action
    return change


def _session_query() -> sa.Select[Any]:
    return sa.select(S, s.agents.c.name.label("agent_name")).join(s.agents, s.agents.c.id == S.c.agent_id)


async def _load_session(conn: AsyncConnection, agent: Agent, key: str) -> Session:
    row = (await conn.execute(_session_query().where(S.c.agent_id == agent.id, S.c.session_key == key))).one()
    return _session(row)


def _session(row: Any) -> Session:
    return Session(
        id=row.id,
        team_id=row.team_id,
        agent_id=row.agent_id,
        agent=row.agent_name,
        session_id=row.session_key,
        status=row.status,
        progress=row.progress,
        current_action=row.current_action,
        state=dict(row.state or {}),
        started_at=row.started_at,
        updated_at=row.updated_at,
        ended_at=row.ended_at,
    )
