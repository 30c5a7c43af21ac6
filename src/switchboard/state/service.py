"""Reading and updating program state, with versions and a history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.limits import ID_MAX
from switchboard.state.document import apply_update, check_size, requested_update
from switchboard.state.models import ProgramState, ProgramStateHistory, ProgramStateVersion, StateMode
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks.records import LockRows, append_events
from switchboard.teams.access import require_manager
from switchboard.teams.models import Agent, Principal
from switchboard.teams.service import TeamService, load_agent, load_agents

S = s.program_states
V = s.program_state_versions
HISTORY_MAX_PAGE = 100


class ProgramStateService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def get_program_state(
        self, principal: Principal, program_id: str | int | None = None, team_id: int | None = None
    ) -> ProgramState:
        """The agent's current document; version 0 and an empty document if it has written nothing yet.

        `program_id` (an agent's name or id) defaults to the caller. An agent reads its own; managers and
        admins read any of their team's.
        """
        async with self.db.read() as conn:
            agent = await self._agent(conn, principal, program_id, team_id)
            _ensure_may_read(principal, agent)
            return await _current(conn, agent)

    async def update_program_state(
        self,
        principal: Principal,
        program_id: str | int | None = None,
        context_summary: Any = None,
        state: Mapping[str, Any] | None = None,
        mode: str | StateMode = StateMode.MERGE,
        expected_version: int | None = None,
    ) -> ProgramState:
        """Write a new version of the caller's own document and return it.

        The update is `state` plus `context_summary` (stored as `contextSummary`). With `expected_version`,
        an update that finds another version (another writer got there first) is refused and writes nothing.
        """
        parsed_mode = StateMode.parse(mode)
        update = requested_update(context_summary, state)
        if expected_version is not None and not 0 <= expected_version <= ID_MAX:
            raise InvalidInput(
                "expected_version must be a version number, 0 or more", expected_version=expected_version
            )
        writer = principal.agent
        if writer is None:
            raise Forbidden("an admin key has no program state to write: each agent writes its own (admins read)")
        async with self.db.write() as conn:
            agent = await self._agent(conn, principal, program_id, None)
            if agent.id != writer.id:
                raise Forbidden(
                    f"only {agent.name} itself may write its program state; you are {writer.name} ({writer.role}). "
                    "Managers and admins may read it with get_program_state.",
                    program_id=agent.name,
                )
            return await self._write(conn, principal, agent, update, parsed_mode, expected_version)

    async def _write(
        self,
        conn: AsyncConnection,
        principal: Principal,
        agent: Agent,
        update: dict[str, Any],
        mode: StateMode,
        expected_version: int | None,
    ) -> ProgramState:
        now = self.clock()
        # Twice at most: a first write that loses the race to insert the row starts over under that row's lock.
        for _ in range(2):
            current = await _current(conn, agent, self.db.lock_rows)
            if expected_version is not None and expected_version != current.version:
                raise Conflict(
                    f"the program state of {agent.name} is at version {current.version}, not {expected_version}: "
                    "another writer got there first. Read it again, reapply your change and retry.",
                    expected_version=expected_version,
                    current_version=current.version,
                )
            document = apply_update(current.state, update, mode)
            check_size(document)
            version = current.version + 1
            values = {"version": version, "state": document, "updated_by": principal.actor, "updated_at": now}
            if current.version == 0:
                if not await _insert_first(conn, agent, values):
                    continue
            else:
                await conn.execute(S.update().where(S.c.agent_id == agent.id).values(**values))
            await conn.execute(V.insert().values(agent_id=agent.id, mode=mode.value, **values))
            await append_events(
                conn,
                agent.team_id,
                principal.actor,
                now,
                [(None, "program_state_updated", {"agent": agent.name, "version": version, "mode": mode.value})],
            )
            return ProgramState(agent.name, agent.id, agent.team_id, version, document, principal.actor, now)
        raise Conflict(f"the program state of {agent.name} is being written by another session; retry")

    async def get_program_state_history(
        self,
        principal: Principal,
        program_id: str | int | None = None,
        limit: int = 20,
        before_version: int | None = None,
        team_id: int | None = None,
    ) -> ProgramStateHistory:
        """Past versions of the agent's document, newest first; `before_version` pages to older ones."""
        if not 1 <= limit <= HISTORY_MAX_PAGE:
            raise InvalidInput(f"limit must be from 1 to {HISTORY_MAX_PAGE}", limit=limit)
        if before_version is not None and not 1 <= before_version <= ID_MAX:
            raise InvalidInput("before_version must be a version number, 1 or more", before_version=before_version)
        async with self.db.read() as conn:
            agent = await self._agent(conn, principal, program_id, team_id)
            _ensure_may_read(principal, agent)
            current = await _current(conn, agent)
            query = sa.select(V).where(V.c.agent_id == agent.id).order_by(V.c.version.desc()).limit(limit + 1)
            if before_version is not None:
                query = query.where(V.c.version < before_version)
            rows = (await conn.execute(query)).all()
        versions = tuple(
            ProgramStateVersion(r.version, StateMode(r.mode), dict(r.state), r.updated_by, r.updated_at)
            for r in rows[:limit]
        )
        more = len(rows) > limit
        return ProgramStateHistory(
            agent.name, agent.id, agent.team_id, current.version, versions, versions[-1].version if more else None
        )

    async def list_team_states(self, principal: Principal, team_id: int) -> list[tuple[Agent, ProgramState]]:
        """Every agent of the team with its current document (version 0 if none), for managers and admins."""
        async with self.db.read() as conn:
            await self.teams.get_team(principal, team_id, conn)
            require_manager(principal, team_id, "read every agent's program state")
            agents = await load_agents(conn, s.agents.c.team_id == team_id)
            rows = await conn.execute(sa.select(S).where(S.c.team_id == team_id))
            by_agent = {r.agent_id: r for r in rows}
        return [(a, _state(a, by_agent.get(a.id))) for a in agents]

    async def _agent(
        self, conn: AsyncConnection, principal: Principal, program_id: str | int | None, team_id: int | None
    ) -> Agent:
        """The agent `program_id` names (a name in the team, or an id), or the caller; others' are not found."""
        if program_id is None or str(program_id).strip() == "":
            if principal.agent is None:
                raise InvalidInput("an admin key has no program state of its own: name the agent with program_id")
            return principal.agent
        text = str(program_id).strip()
        if text.isdigit():
            agent = await load_agent(conn, int(text)) if int(text) <= ID_MAX else None
        else:
            agent = await self.teams.find_agent(conn, await self._team_id(conn, principal, team_id), text)
        if agent is None or (team_id is not None and agent.team_id != team_id):
            raise NotFound(f"agent {text!r} not found in your team", program_id=text)
        try:
            await self.teams.get_team(principal, agent.team_id, conn)
        except NotFound:
            raise NotFound(f"agent {text!r} not found in your team", program_id=text) from None
        return agent

    async def _team_id(self, conn: AsyncConnection, principal: Principal, team_id: int | None) -> int:
        """The team whose names an agent name is looked up among."""
        if team_id is not None:
            return (await self.teams.get_team(principal, team_id, conn)).id
        if principal.agent is not None:
            return principal.agent.team_id
        query = sa.select(s.teams.c.id).where(s.teams.c.org_id == principal.org_id).limit(2)
        teams: list[int] = list(await conn.scalars(query))
        if len(teams) != 1:
            raise InvalidInput("this admin key's org has several teams: name one with team_id, or use the agent's id")
        return teams[0]


def _ensure_may_read(principal: Principal, agent: Agent) -> None:
    reader = principal.agent
    if reader is None or reader.id == agent.id or (reader.is_manager and reader.team_id == agent.team_id):
        return
    raise Forbidden(
        f"the program state of {agent.name} is for {agent.name} itself, managers and admins; "
        f"you are {reader.name} ({reader.role})",
        program_id=agent.name,
    )


async def _current(conn: AsyncConnection, agent: Agent, lock_rows: LockRows | None = None) -> ProgramState:
    query = sa.select(S).where(S.c.agent_id == agent.id)
    if lock_rows is not None:
        query = lock_rows(query)
    return _state(agent, (await conn.execute(query)).first())


async def _insert_first(conn: AsyncConnection, agent: Agent, values: dict[str, Any]) -> bool:
    """Create the agent's row; False if a racing first writer created it since we looked (its lock now waits)."""
    try:
        async with conn.begin_nested():
            await conn.execute(S.insert().values(agent_id=agent.id, team_id=agent.team_id, **values))
    except sa.exc.IntegrityError:
        return False
    return True


def _state(agent: Agent, row: Any) -> ProgramState:
    if row is None:
        return ProgramState(agent.name, agent.id, agent.team_id, 0, {}, None, None)
    updated_at: datetime = row.updated_at
    return ProgramState(agent.name, agent.id, agent.team_id, row.version, dict(row.state), row.updated_by, updated_at)
