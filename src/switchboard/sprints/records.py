"""Reading and writing sprint rows; the stories' tasks are read and written through `tasks.records`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import NotFound
from switchboard.sprints.models import Progress, Sprint, SprintStatus, SprintSummary, Story, sprint_key
from switchboard.sprints.waves import PlannedStory
from switchboard.storage import schema as s
from switchboard.tasks import records as task_records
from switchboard.tasks.models import TaskStatus
from switchboard.teams.models import Principal

SP = s.sprints
S = s.sprint_stories
T = task_records.T


async def insert_sprint(
    conn: AsyncConnection,
    team_id: int,
    project_name: str,
    branch: str | None,
    description: str | None,
    created_by: str,
    now: datetime,
) -> int:
    values = {
        "team_id": team_id,
        "project_name": project_name,
        "branch": branch,
        "description": description,
        "status": SprintStatus.ACTIVE.value,
        "created_by": created_by,
        "created_at": now,
        "completed_at": None,
    }
    sprint_id = await conn.scalar(SP.insert().values(**values).returning(SP.c.id))
    assert sprint_id is not None
    return int(sprint_id)


async def insert_stories(
    conn: AsyncConnection, sprint_id: int, stories: Sequence[PlannedStory], task_ids: Sequence[int]
) -> None:
    rows = [
        {
            "sprint_id": sprint_id,
            "story_id": story.story_id,
            "task_id": task_id,
            "wave": story.wave,
            "dependencies": list(story.dependencies),
            "position": story.position,
        }
        for story, task_id in zip(stories, task_ids, strict=True)
    ]
    await conn.execute(S.insert(), rows)


async def load_visible_row(
    conn: AsyncConnection, sprint_id: int, principal: Principal, lock_rows: task_records.LockRows | None = None
) -> Any:
    """The sprint's row if the caller's key reaches its team, else NotFound (never a hint that it exists)."""
    if lock_rows is not None:
        # The sprint's row alone: a lock on the joined team row would deadlock with event inserts.
        await conn.execute(lock_rows(sa.select(SP.c.id).where(SP.c.id == sprint_id)))
    query = sa.select(SP, s.teams.c.org_id).join(s.teams, s.teams.c.id == SP.c.team_id).where(SP.c.id == sprint_id)
    row = (await conn.execute(query)).first()
    agent = principal.agent
    if row is None or row.org_id != principal.org_id or (agent is not None and agent.team_id != row.team_id):
        raise NotFound(f"{sprint_key(sprint_id)} not found", sprint_id=sprint_id)
    return row


async def load_sprint(conn: AsyncConnection, sprint_id: int) -> Sprint:
    row = (await conn.execute(sa.select(SP).where(SP.c.id == sprint_id))).one()
    stories = await fetch_stories(conn, S.c.sprint_id == sprint_id)
    progress = Progress.of((story.wave, story.task.status) for story in stories)
    return Sprint(summary_from_row(row, progress), tuple(stories))


async def require_story(conn: AsyncConnection, sprint_id: int, story_id: str) -> Story:
    found = await fetch_stories(conn, sa.and_(S.c.sprint_id == sprint_id, S.c.story_id == str(story_id)))
    if not found:
        raise NotFound(
            f"story {story_id!r} not found in {sprint_key(sprint_id)}", sprint_id=sprint_id, story_id=story_id
        )
    return found[0]


async def fetch_stories(conn: AsyncConnection, where: sa.ColumnElement[bool]) -> list[Story]:
    rows = (await conn.execute(sa.select(S).where(where).order_by(S.c.position))).all()
    tasks = {t.id: t for t in await task_records.fetch_tasks_by_id(conn, [r.task_id for r in rows])}
    return [
        Story(r.sprint_id, r.story_id, r.wave, tuple(r.dependencies or ()), r.position, tasks[r.task_id]) for r in rows
    ]


async def lock_story_tasks(conn: AsyncConnection, sprint_id: int, lock_rows: task_records.LockRows) -> list[Any]:
    """(story_id, id, status) of every story task, locked in id order, in the order of the stories."""
    task_ids = sa.select(S.c.task_id).where(S.c.sprint_id == sprint_id)
    await conn.execute(lock_rows(sa.select(T.c.id).where(T.c.id.in_(task_ids)).order_by(T.c.id)))
    query = (
        sa.select(S.c.story_id, T.c.id, T.c.status)
        .join(T, T.c.id == S.c.task_id)
        .where(S.c.sprint_id == sprint_id)
        .order_by(S.c.position)
    )
    return list((await conn.execute(query)).all())


async def progress_of(conn: AsyncConnection, sprint_ids: Sequence[int]) -> dict[int, Progress]:
    if not sprint_ids:
        return {}
    rows = await conn.execute(
        sa.select(S.c.sprint_id, S.c.wave, T.c.status)
        .join(T, T.c.id == S.c.task_id)
        .where(S.c.sprint_id.in_(sprint_ids))
    )
    found: dict[int, list[tuple[int, TaskStatus]]] = {}
    for sprint_id, wave, status in rows:
        found.setdefault(sprint_id, []).append((wave, TaskStatus(status)))
    return {sprint_id: Progress.of(statuses) for sprint_id, statuses in found.items()}


def summary_from_row(row: Any, progress: Progress) -> SprintSummary:
    return SprintSummary(
        id=row.id,
        team_id=row.team_id,
        project_name=row.project_name,
        branch=row.branch,
        description=row.description,
        status=SprintStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        completed_at=row.completed_at,
        progress=progress,
    )
