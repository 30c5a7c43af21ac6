"""Reading turns: a team's, an agent's or a task's, newest first, as MCP, REST, the CLI and the dashboard show them."""

from __future__ import annotations

import sqlalchemy as sa

from switchboard.clock import Clock
from switchboard.dispatch.models import Turn, TurnStatus
from switchboard.dispatch.records import turn_from_row, turn_query
from switchboard.errors import InvalidInput, NotFound
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService

TU = s.turns
LIST_MAX = 200


class TurnService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def list_turns(
        self,
        principal: Principal,
        team_id: int | None = None,
        *,
        agent: str | int | None = None,
        task_id: int | None = None,
        status: str | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> list[Turn]:
        """The team's turns, newest first; filtered by agent (name or id), task and status. `before` pages."""
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"limit must be from 1 to {LIST_MAX}", limit=limit)
        team = await self.teams.default_team(principal, team_id)
        query = turn_query().where(TU.c.team_id == team.id).order_by(TU.c.id.desc()).limit(limit)
        if status is not None:
            try:
                query = query.where(TU.c.status == TurnStatus(status.strip().lower()).value)
            except ValueError:
                allowed = ", ".join(t.value for t in TurnStatus)
                raise InvalidInput(f"unknown turn status {status!r}: one of {allowed}", status=status) from None
        if task_id is not None:
            query = query.where(TU.c.task_id == task_id)
        if before is not None:
            query = query.where(TU.c.id < before)
        async with self.db.read() as conn:
            if agent is not None:
                found = await self.teams.find_agent(conn, team.id, agent)
                if found is None:
                    raise NotFound(f"agent {agent!r} not found in team {team.id}", agent=agent)
                query = query.where(TU.c.agent_id == found.id)
            rows = await conn.execute(query)
            return [turn_from_row(row) for row in rows]

    async def get_turn(self, principal: Principal, turn_id: int) -> Turn:
        async with self.db.read() as conn:
            row = (await conn.execute(turn_query().where(TU.c.id == turn_id))).first()
            if row is None:
                raise NotFound(f"turn {turn_id} not found")
            try:
                await self.teams.get_team(principal, row.team_id, conn)
            except NotFound:
                raise NotFound(f"turn {turn_id} not found") from None
            return turn_from_row(row)

    async def task_turns(self, principal: Principal, task_id: int) -> list[Turn]:
        async with self.db.read() as conn:
            team_id = await conn.scalar(sa.select(s.tasks.c.team_id).where(s.tasks.c.id == task_id))
        if team_id is None:
            raise NotFound(f"task {task_id} not found")
        try:
            return await self.list_turns(principal, team_id, task_id=task_id, limit=LIST_MAX)
        except NotFound:
            raise NotFound(f"task {task_id} not found") from None
