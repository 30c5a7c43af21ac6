"""Reading and writing task rows: shared by every task operation, so each rule is written once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import NotFound
from switchboard.storage import schema as s
from switchboard.storage.database import mark_team_changed
from switchboard.tasks.models import Priority, Task, TaskEvent, TaskStatus, Usage
from switchboard.teams.models import Principal

T = s.tasks
D = s.task_dependencies
S = s.sprint_stories
holder_agent = s.agents.alias("holder_agent")

LockRows = Callable[[sa.Select[Any]], sa.Select[Any]]
EventRow = dict[str, Any]

W = s.task_worktrees

TASK_COLUMNS = (
    *T.c,
    holder_agent.c.name.label("holder_name"),
    S.c.sprint_id,
    S.c.story_id,
    W.c.path.label("worktree_path"),
)


def task_query() -> sa.Select[Any]:
    return TASK_QUERY


# Built once: statements are immutable, and building one costs more than SQLite takes to run it.
TASK_QUERY = sa.select(*TASK_COLUMNS).select_from(
    T.outerjoin(holder_agent, holder_agent.c.id == T.c.holder_agent_id)
    .outerjoin(S, S.c.task_id == T.c.id)
    .outerjoin(W, sa.and_(W.c.task_id == T.c.id, W.c.status == "active"))
)
TASKS_BY_ID = TASK_QUERY.where(T.c.id.in_(sa.bindparam("task_ids", expanding=True))).order_by(T.c.id)
DEPENDENCIES_OF = (
    sa.select(D.c.task_id, D.c.depends_on_id)
    .where(D.c.task_id.in_(sa.bindparam("task_ids", expanding=True)))
    .order_by(D.c.depends_on_id)
)


async def fetch_tasks(
    conn: AsyncConnection, where: sa.ColumnElement[bool], order: Sequence[Any] = (T.c.id,), limit: int | None = None
) -> list[Task]:
    query = task_query().where(where).order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    return await _with_dependencies(conn, (await conn.execute(query)).all())


async def fetch_tasks_by_id(conn: AsyncConnection, task_ids: Iterable[int]) -> list[Task]:
    """The tasks of `task_ids` that exist, in id order."""
    task_ids = list(task_ids)
    if not task_ids:
        return []
    return await _with_dependencies(conn, (await conn.execute(TASKS_BY_ID, {"task_ids": task_ids})).all())


async def _with_dependencies(conn: AsyncConnection, rows: Sequence[Any]) -> list[Task]:
    """Tasks from their rows, each with the ids of the tasks it depends on."""
    deps = await dependencies_of(conn, [r.id for r in rows])
    return [task_from_row(r, deps.get(r.id, ())) for r in rows]


async def fetch_task(conn: AsyncConnection, task_id: int) -> Task | None:
    found = await fetch_tasks_by_id(conn, [task_id])
    return found[0] if found else None


async def require_task(conn: AsyncConnection, task_id: int) -> Task:
    task = await fetch_task(conn, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


async def dependencies_of(conn: AsyncConnection, task_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    if not task_ids:
        return {}
    rows = await conn.execute(DEPENDENCIES_OF, {"task_ids": list(task_ids)})
    found: dict[int, list[int]] = {}
    for task_id, dep in rows:
        found.setdefault(task_id, []).append(dep)
    return {k: tuple(v) for k, v in found.items()}


def task_from_row(row: Any, depends_on: Iterable[int] = ()) -> Task:
    """A task from its row (or the same columns as a mapping)."""
    # By key, not by attribute: a Row's attribute lookup costs six times its mapping's, and a task reads 30.
    m = getattr(row, "_mapping", row)
    return Task(
        id=m["id"],
        team_id=m["team_id"],
        title=m["title"],
        instructions=m["instructions"],
        task_type=m["task_type"],
        priority=Priority(m["priority"]),
        status=TaskStatus(m["status"]),
        target=target_label(m["target_kind"], m["target_name"]),
        target_kind=m["target_kind"],
        created_by=m["created_by"],
        parent_id=m["parent_id"],
        holder=m["holder_name"],
        holder_agent_id=m["holder_agent_id"],
        attempt=m["attempt"],
        max_attempts=m["max_attempts"],
        lease_seconds=m["lease_seconds"],
        lease_expires_at=m["lease_expires_at"],
        progress=m["progress"],
        current_action=m["current_action"],
        blocked_reason=m["blocked_reason"],
        tags=tuple(m["tags"] or ()),
        result=m["result"],
        completed_status=m["completed_status"],
        usage=Usage(m["tokens_in"], m["tokens_out"], m["cost_usd"], m["model"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        claimed_at=m["claimed_at"],
        finished_at=m["finished_at"],
        depends_on=tuple(depends_on),
        sprint_id=m["sprint_id"],
        story_id=m["story_id"],
        worktree=m["worktree_path"],
    )


def target_label(kind: str, name: str | None) -> str | None:
    if kind == "none":
        return None
    return f"@{name}" if kind == "role" else name


async def append_events(
    conn: AsyncConnection,
    team_id: int,
    actor: str,
    at: datetime,
    items: Iterable[tuple[int | None, str, dict[str, Any]]],
) -> None:
    """Record changes in the same transaction that makes them: (task id, kind, data) each."""
    await insert_events(conn, [event_row(team_id, t, k, actor, at, d) for t, k, d in items])


_INSERT_EVENT = s.events.insert()


def event_row(team_id: int, task_id: int | None, kind: str, actor: str, at: datetime, data: dict[str, Any]) -> EventRow:
    return {"team_id": team_id, "task_id": task_id, "kind": kind, "actor": actor, "at": at, "data": data}


async def insert_events(conn: AsyncConnection, rows: Sequence[EventRow]) -> None:
    """Record changes of any teams and actors in one statement; their teams' waiters wake after the commit."""
    if rows:
        await conn.execute(_INSERT_EVENT, list(rows))
        for team_id in {r["team_id"] for r in rows}:
            mark_team_changed(conn, team_id)


async def read_events(conn: AsyncConnection, task_id: int, after_id: int, limit: int) -> list[TaskEvent]:
    rows = await conn.execute(
        sa.select(s.events)
        .where(s.events.c.task_id == task_id, s.events.c.id > after_id)
        .order_by(s.events.c.id)
        .limit(limit)
    )
    return [TaskEvent(r.id, r.task_id, r.kind, r.actor, r.at, dict(r.data or {})) for r in rows]


async def unblock_dependents(
    conn: AsyncConnection, task_ids: Sequence[int], now: datetime, lock_rows: LockRows | None
) -> dict[int, int]:
    """After `task_ids` are done: every blocked dependent whose dependencies are now all done becomes ready.

    Returns each task unblocked, with the task of `task_ids` it was waiting on.
    """
    if not task_ids:
        return {}
    pairs = (await conn.execute(_WAITING_ON, {"task_ids": list(task_ids)})).all()
    if not pairs:
        return {}
    waited_on = {dependent: done for dependent, done in pairs}
    dependents = sorted(waited_on)
    if lock_rows is not None:
        # Two dependencies finishing at once would each see the other unfinished and leave the dependent
        # blocked: locking the dependents first makes the second check wait for the first commit and then see it.
        await conn.execute(lock_rows(_BLOCKED_AMONG), {"task_ids": dependents})
    result = await conn.execute(_UNBLOCK, {"task_ids": dependents, "now": now})
    return {r.id: waited_on[r.id] for r in sorted(result, key=lambda r: r.id)}


_WAITING_ON = sa.select(D.c.task_id, D.c.depends_on_id).where(
    D.c.depends_on_id.in_(sa.bindparam("task_ids", expanding=True))
)
_BLOCKED_AMONG = (
    sa.select(T.c.id)
    .where(T.c.id.in_(sa.bindparam("task_ids", expanding=True)), T.c.status == TaskStatus.BLOCKED.value)
    .order_by(T.c.id)
)
_DEP = T.alias("dep")
_UNBLOCK = (
    T.update()
    .where(
        T.c.id.in_(sa.bindparam("task_ids", expanding=True)),
        T.c.status == TaskStatus.BLOCKED.value,
        ~sa.select(D.c.task_id)
        .join(_DEP, _DEP.c.id == D.c.depends_on_id)
        .where(D.c.task_id == T.c.id, _DEP.c.status != TaskStatus.DONE.value)
        .exists(),
    )
    .values(status=TaskStatus.READY.value, blocked_reason=None, updated_at=sa.bindparam("now"))
    .returning(T.c.id)
)


async def explain_blocked_dependents(conn: AsyncConnection, task_id: int, reason: str, now: datetime) -> None:
    """Leave dependents blocked, saying why (a dependency failed, was cancelled, or is waiting again)."""
    dependents = sa.select(D.c.task_id).where(D.c.depends_on_id == task_id)
    await conn.execute(
        T.update()
        .where(T.c.id.in_(dependents), T.c.status == TaskStatus.BLOCKED.value)
        .values(blocked_reason=reason, updated_at=now)
    )


async def add_dependency(
    conn: AsyncConnection, dependents: Sequence[int], depends_on_id: int, reason: str, now: datetime
) -> list[int]:
    """Make each of `dependents` wait for the unfinished task `depends_on_id` too: ready ones become blocked with
    `reason`. Returns the ids blocked again."""
    if not dependents:
        return []
    await conn.execute(D.insert(), [{"task_id": t, "depends_on_id": depends_on_id} for t in dependents])
    result = await conn.execute(
        T.update()
        .where(T.c.id.in_(dependents), T.c.status == TaskStatus.READY.value)
        .values(status=TaskStatus.BLOCKED.value, blocked_reason=reason, updated_at=now)
        .returning(T.c.id)
    )
    return sorted(r.id for r in result)


async def mark_cancelled(conn: AsyncConnection, task_ids: Sequence[int], now: datetime) -> None:
    """Cancel open tasks: a holder's claim ends with them."""
    await conn.execute(
        T.update()
        .where(T.c.id.in_(task_ids))
        .values(
            status=TaskStatus.CANCELLED.value,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
            completed_status="CANCELLED",
            blocked_reason=None,
        )
    )


async def transitive_dependents(conn: AsyncConnection, task_id: int) -> list[int]:
    """Every task that depends on `task_id`, directly or through others, in breadth-first order."""
    seen: dict[int, None] = {}
    frontier = [task_id]
    while frontier:
        rows = await conn.execute(sa.select(D.c.task_id).where(D.c.depends_on_id.in_(frontier)))
        frontier = [r.task_id for r in rows if r.task_id not in seen and r.task_id != task_id]
        seen.update(dict.fromkeys(frontier))
    return list(seen)


async def load_visible_row(
    conn: AsyncConnection, task_id: int, principal: Principal, lock_rows: LockRows | None = None
) -> Any:
    """The task's row if the caller's key reaches its team, else NotFound (never a hint that it exists)."""
    rows = await load_rows(conn, [task_id], lock_rows)
    return visible_row(rows.get(task_id), task_id, principal)


async def load_rows(
    conn: AsyncConnection, task_ids: Sequence[int], lock_rows: LockRows | None = None
) -> dict[int, Any]:
    """Task rows with their team's org, by id; with `lock_rows`, locked in id order."""
    if lock_rows is not None:
        # The task rows alone: locking the joined team row too would make every task write of the team wait
        # here, and deadlock with transactions whose event inserts take a key-share lock on that team row.
        await conn.execute(lock_rows(_TASK_IDS_AMONG), {"task_ids": list(task_ids)})
    return {row.id: row for row in await conn.execute(_ROWS_WITH_ORG, {"task_ids": list(task_ids)})}


_TASK_IDS_AMONG = sa.select(T.c.id).where(T.c.id.in_(sa.bindparam("task_ids", expanding=True))).order_by(T.c.id)
_ROWS_WITH_ORG = (
    sa.select(T, s.teams.c.org_id)
    .join(s.teams, s.teams.c.id == T.c.team_id)
    .where(T.c.id.in_(sa.bindparam("task_ids", expanding=True)))
)


def visible_row(row: Any, task_id: int, principal: Principal) -> Any:
    """`row` if the caller's key reaches its team, else NotFound."""
    agent = principal.agent
    if row is None or row.org_id != principal.org_id or (agent is not None and agent.team_id != row.team_id):
        raise NotFound(f"task {task_id} not found")
    return row
