"""Reading question and alert rows with the access rule applied, shared by both services."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import InvalidInput, NotFound
from switchboard.limits import ID_MAX
from switchboard.storage import schema as s
from switchboard.tasks.records import LockRows
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService


async def load_visible(
    conn: AsyncConnection,
    table: sa.Table,
    noun: str,
    row_id: int,
    principal: Principal,
    lock_rows: LockRows | None = None,
) -> Any:
    """The row if the caller's key reaches its team, else NotFound (never a hint that it exists)."""
    if not 0 < row_id <= ID_MAX:
        raise NotFound(f"{noun} {row_id} not found")
    # A scalar subquery rather than a join, so that a lock takes this row and not its team's.
    org_id = sa.select(s.teams.c.org_id).where(s.teams.c.id == table.c.team_id).scalar_subquery()
    query = sa.select(table, org_id.label("org_id")).where(table.c.id == row_id)
    if lock_rows is not None:
        query = lock_rows(query)
    row = (await conn.execute(query)).first()
    agent = principal.agent
    if row is None or row.org_id != principal.org_id or (agent is not None and agent.team_id != row.team_id):
        raise NotFound(f"{noun} {row_id} not found")
    return row


async def team_scope(
    teams: TeamService, principal: Principal, column: sa.Column[Any], team_id: int | None
) -> sa.ColumnElement[bool]:
    """Rows of the team named, or with no team named: an agent's own team, an admin's whole org."""
    if team_id is not None:
        return column == (await teams.get_team(principal, team_id)).id
    if principal.agent is not None:
        return column == principal.agent.team_id
    return column.in_(sa.select(s.teams.c.id).where(s.teams.c.org_id == principal.org_id))


async def ensure_team_task(conn: AsyncConnection, team_id: int, task_id: int) -> None:
    """A `task_id` given as a link must name a task of the team; others' tasks are as unknown as missing ones."""
    found = None
    if isinstance(task_id, int) and not isinstance(task_id, bool) and 0 < task_id <= ID_MAX:
        found = await conn.scalar(sa.select(s.tasks.c.id).where(s.tasks.c.id == task_id, s.tasks.c.team_id == team_id))
    if found is None:
        raise InvalidInput(f"unknown task {task_id}: no such task in this team", field="task_id", task_id=task_id)
