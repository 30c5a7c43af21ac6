"""Creating, reading and steering tasks. Claims, leases and completion live in `claims.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Conflict, Forbidden, InvalidInput
from switchboard.limits import (
    ATTEMPTS_MAX,
    BATCH_MAX_TASKS,
    ID_MAX,
    LEASE_MAX_SECONDS,
    LEASE_MIN_SECONDS,
    PROGRESS_MAX,
    SHORT_TEXT_MAX_CHARS,
    TAGS_MAX,
    TITLE_MAX_CHARS,
    check_bytes,
    check_chars,
)
from switchboard.storage import Database, idempotency
from switchboard.storage import schema as s
from switchboard.storage.ids import reserve_ids
from switchboard.tasks import records
from switchboard.tasks.claims import TaskListener, ensure_holder, notify
from switchboard.tasks.dag import find_cycle
from switchboard.tasks.models import (
    TERMINAL,
    Priority,
    Task,
    TaskDetail,
    TaskDraft,
    TaskEvent,
    TaskPage,
    TaskStatus,
    parse_statuses,
)
from switchboard.teams.models import Principal, Target, Team
from switchboard.teams.service import TeamService
from switchboard.teams.targets import resolve_target
from switchboard.waiting import COMPLETION_WAIT_MAX_SECONDS, check_wait_seconds, wait_until

T = records.T
D = records.D
MAX_PAGE = 500
# get_task in two reads, each statement built once: the task and its sub-tasks (with the team's org, for the
# visibility rule), then their dependencies together with the task's dependents.
TASK_FAMILY = (
    records.task_query()
    .add_columns(s.teams.c.org_id)
    .join(s.teams, s.teams.c.id == T.c.team_id)
    .where(sa.or_(T.c.id == sa.bindparam("task_id"), T.c.parent_id == sa.bindparam("task_id")))
    .order_by(T.c.id)
)
FAMILY_LINKS = (
    sa.select(D.c.task_id, D.c.depends_on_id)
    .where(
        sa.or_(D.c.task_id.in_(sa.bindparam("family", expanding=True)), D.c.depends_on_id == sa.bindparam("task_id"))
    )
    .order_by(D.c.task_id, D.c.depends_on_id)
)
TASK_TYPE_MAX_CHARS = 50  # the column's width: longer would fail in PostgreSQL and be kept whole by SQLite
TAG_MAX_CHARS = 100


@dataclass(frozen=True)
class TaskFilters:
    status: str | list[str] | None = None
    target: str | None = None
    holder: str | None = None
    priority: str | None = None
    parent_id: int | None = None
    task_type: str | None = None
    tag: str | None = None
    created_by: str | None = None
    sprint_id: int | None = None


@dataclass(frozen=True)
class TaskWait:
    """What wait_for_task_completion saw last: every task, and whether all of them had finished."""

    tasks: tuple[Task, ...]
    done: bool

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done, "timed_out": not self.done, "tasks": [t.to_json() for t in self.tasks]}


class TaskService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
        # Run after a cancellation commits, once per cancelled task.
        self.on_finished: list[TaskListener] = []

    # -- creating -----------------------------------------------------------------------------------------------

    async def create_task(
        self, principal: Principal, draft: TaskDraft, team_id: int | None = None, idempotency_key: str | None = None
    ) -> Task:
        """Create one task; `blocked` while any dependency is unfinished, else `ready`."""
        tasks = await self.create_tasks_batch(principal, [draft], team_id, idempotency_key, scope="create_task")
        return tasks[0]

    async def create_tasks_batch(
        self,
        principal: Principal,
        drafts: Sequence[TaskDraft],
        team_id: int | None = None,
        idempotency_key: str | None = None,
        scope: str = "create_tasks_batch",
    ) -> list[Task]:
        """Create up to 1,000 tasks in one transaction: if any item is invalid, none is created.

        An item's `depends_on` and `parent_id` name existing tasks by id, or other items by their `ref`.
        """
        if not drafts:
            raise InvalidInput("give at least one task")
        if len(drafts) > BATCH_MAX_TASKS:
            raise InvalidInput(
                f"a batch holds at most {BATCH_MAX_TASKS} tasks; got {len(drafts)}", limit=BATCH_MAX_TASKS
            )
        # Refs and cycles are checked before the write transaction: a refused batch never waits for the writer.
        refs = _batch_refs(drafts)
        team = await self.teams.default_team(principal, team_id)
        # The caller is part of the request: another agent reusing a key is refused, not answered with this one's.
        fingerprint = idempotency.request_hash([principal.actor, [d.model_dump(mode="json") for d in drafts]])
        async with self.db.write() as conn:
            if idempotency_key is not None:
                earlier = await idempotency.reserve(conn, team.id, scope, idempotency_key, fingerprint, self.clock())
                if earlier is not None:
                    return await records.fetch_tasks_by_id(conn, earlier["task_ids"])
            tasks = await self._insert_drafts(conn, principal, team, drafts, refs)
            if idempotency_key is not None:
                await idempotency.remember(conn, team.id, scope, idempotency_key, {"task_ids": [t.id for t in tasks]})
            return tasks

    async def insert_tasks(
        self, conn: AsyncConnection, principal: Principal, team: Team, drafts: Sequence[TaskDraft]
    ) -> list[int]:
        """Create tasks inside the caller's transaction (a sprint's stories), with a batch's checks and refs."""
        return [t.id for t in await self._insert_drafts(conn, principal, team, drafts, _batch_refs(drafts))]

    async def _insert_drafts(
        self,
        conn: AsyncConnection,
        principal: Principal,
        team: Team,
        drafts: Sequence[TaskDraft],
        refs: dict[str, int],
    ) -> list[Task]:
        existing = await self._existing_references(conn, team, drafts, refs)
        now = self.clock()
        # Ids first: each row is then written whole, naming the batch items it waits for by their ids.
        ids = await reserve_ids(conn, T, len(drafts))
        by_ref = {ref: ids[i] for ref, i in refs.items()}
        targets: dict[str | int | None, Target] = {}
        rows = []
        for index, draft in enumerate(drafts):
            if draft.target not in targets:
                targets[draft.target] = await resolve_target(conn, team.id, draft.target)
            unfinished = [
                f"#{by_ref[str(d)]}" if _is_ref(d, refs) else f"#{_as_id(d)}"
                for d in draft.depends_on
                if _is_ref(d, refs) or existing[_as_id(d)] != TaskStatus.DONE.value
            ]
            row = self._row(team, principal, draft, targets[draft.target], now, index, unfinished, existing, refs)
            rows.append({"id": ids[index], **row})
        depends_on = [
            tuple(sorted({by_ref[str(d)] if _is_ref(d, refs) else _as_id(d) for d in draft.depends_on}))
            for draft in drafts
        ]
        parents = {
            ids[i]: by_ref[str(d.parent_id)]
            for i, d in enumerate(drafts)
            if d.parent_id is not None and _is_ref(d.parent_id, refs)
        }
        await conn.execute(T.insert(), rows)
        await _link_batch(conn, ids, depends_on, parents)
        await records.append_events(
            conn,
            team.id,
            principal.actor,
            now,
            ((ids[i], "created", {"status": rows[i]["status"], "title": d.title}) for i, d in enumerate(drafts)),
        )
        # The tasks as written: reading a thousand rows back would cost about as much as writing them.
        return [
            records.task_from_row(_written(row, parents.get(row["id"], row["parent_id"])), deps)
            for row, deps in zip(rows, depends_on, strict=True)
        ]

    async def _existing_references(
        self, conn: AsyncConnection, team: Team, drafts: Sequence[TaskDraft], refs: dict[str, int]
    ) -> dict[int, str]:
        """Status of every existing task the batch names; unknown or other teams' ids are refused."""
        wanted: set[int] = set()
        for draft in drafts:
            for ref in [*draft.depends_on, *([draft.parent_id] if draft.parent_id is not None else [])]:
                if not _is_ref(ref, refs):
                    wanted.add(_as_id(ref))
        found: dict[int, str] = {}
        if wanted:
            # A shared lock: a dependency finishing meanwhile either commits first (and is seen done) or waits
            # for this batch and then finds the new dependents to unblock.
            query = sa.select(T.c.id, T.c.status).where(T.c.id.in_(wanted), T.c.team_id == team.id).order_by(T.c.id)
            rows = await conn.execute(self.db.lock_rows(query, shared=True))
            found = {r.id: r.status for r in rows}
        missing = sorted(wanted - set(found))
        if missing:
            raise InvalidInput(
                f"unknown task {', '.join(map(str, missing))} in depends_on or parent_id: no such task in this team",
                unknown=missing,
            )
        return found

    def _row(
        self,
        team: Team,
        principal: Principal,
        draft: TaskDraft,
        target: Target,
        now: Any,
        index: int,
        unfinished: list[str],
        existing: dict[int, str],
        refs: dict[str, int],
    ) -> dict[str, Any]:
        check_chars("title", draft.title, TITLE_MAX_CHARS)
        if not draft.title.strip():
            raise InvalidInput("title is required", field="title", item=index)
        check_bytes("instructions", draft.instructions)
        check_chars("task_type", draft.task_type, TASK_TYPE_MAX_CHARS)
        _check_tags(draft.tags)
        # None is the team's default; 0 is refused like any other value out of range (as REST declares it).
        lease = team.settings.lease_seconds if draft.lease_seconds is None else draft.lease_seconds
        if not LEASE_MIN_SECONDS <= lease <= LEASE_MAX_SECONDS:
            raise InvalidInput(
                f"lease_seconds must be from {LEASE_MIN_SECONDS} to {LEASE_MAX_SECONDS}",
                field="lease_seconds",
                item=index,
            )
        attempts = team.settings.max_attempts if draft.max_attempts is None else draft.max_attempts
        if not 1 <= attempts <= ATTEMPTS_MAX:
            raise InvalidInput(f"max_attempts must be from 1 to {ATTEMPTS_MAX}", field="max_attempts", item=index)
        failed = [
            str(d) for d in draft.depends_on if not _is_ref(d, refs) and existing[_as_id(d)] in ("failed", "cancelled")
        ]
        return {
            "team_id": team.id,
            "title": draft.title.strip(),
            "instructions": draft.instructions,
            "task_type": draft.task_type,
            "priority": int(Priority.parse(draft.priority)),
            "status": (TaskStatus.BLOCKED if unfinished else TaskStatus.READY).value,
            "target_kind": target.kind.value,
            "target_name": target.name,
            "target_agent_id": target.agent_id,
            "created_by": principal.actor,
            "parent_id": None if draft.parent_id is None or _is_ref(draft.parent_id, refs) else _as_id(draft.parent_id),
            "holder_agent_id": None,
            "attempt": 0,
            "expired_leases": 0,
            "max_attempts": attempts,
            "lease_seconds": lease,
            "lease_expires_at": None,
            "progress": None,
            "current_action": None,
            "blocked_reason": _waiting_reason(unfinished, failed),
            "tags": list(draft.tags),
            "result": None,
            "completed_status": None,
            "tokens_in": 0,
            "tokens_out": 0,
            "cost_usd": 0.0,
            "model": None,
            "created_at": now,
            "updated_at": now,
            "claimed_at": None,
            "finished_at": None,
        }

    # -- reading ------------------------------------------------------------------------------------------------

    async def get_task(self, principal: Principal, task_id: int) -> TaskDetail:
        async with self.db.read() as conn:
            family = (await conn.execute(TASK_FAMILY, {"task_id": task_id})).all()
            records.visible_row(next((r for r in family if r.id == task_id), None), task_id, principal)
            links = (await conn.execute(FAMILY_LINKS, {"task_id": task_id, "family": [r.id for r in family]})).all()
        depends_on: dict[int, list[int]] = {}
        for waiting, dep in links:
            depends_on.setdefault(waiting, []).append(dep)
        tasks = [records.task_from_row(r, depends_on.get(r.id, ())) for r in family]
        task = next(t for t in tasks if t.id == task_id)
        dependents = tuple(waiting for waiting, dep in links if dep == task_id)
        return TaskDetail(task, dependents, tuple(t for t in tasks if t.parent_id == task_id))

    async def list_tasks(
        self,
        principal: Principal,
        filters: TaskFilters,
        team_id: int | None = None,
        limit: int = 50,
        cursor: int | None = None,
        wait_seconds: float | None = None,
    ) -> TaskPage:
        """Tasks of the team in creation order; `cursor` is the `next_cursor` of the previous page.

        With `wait_seconds`, an empty page waits until a matching task appears or the time is up.
        """
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", limit=limit)
        wait = check_wait_seconds(wait_seconds)
        team = await self.teams.default_team(principal, team_id)

        async def page() -> TaskPage:
            return await self._list_tasks_now(team, filters, limit, cursor)

        return await wait_until(self.db.notifier, team.id, page, wait, found=lambda p: bool(p.items))

    async def _list_tasks_now(self, team: Team, filters: TaskFilters, limit: int, cursor: int | None) -> TaskPage:
        where = [T.c.team_id == team.id]
        statuses = parse_statuses(filters.status)
        if statuses is not None:
            where.append(T.c.status.in_(sorted(s.value for s in statuses)))
        if filters.priority is not None:
            where.append(T.c.priority == int(Priority.parse(filters.priority)))
        for column, value in (
            (T.c.parent_id, filters.parent_id),
            (T.c.task_type, filters.task_type),
            (T.c.created_by, filters.created_by),
        ):
            if value is not None:
                where.append(column == value)
        if cursor is not None:
            where.append(T.c.id > cursor)
        if filters.sprint_id is not None:
            stories = records.S
            where.append(T.c.id.in_(sa.select(stories.c.task_id).where(stories.c.sprint_id == filters.sprint_id)))
        async with self.db.read() as conn:
            if filters.target is not None:
                where.append(await self._target_filter(conn, team.id, filters.target))
            if filters.holder is not None:
                holder = await self.teams.find_agent(conn, team.id, filters.holder)
                where.append(T.c.holder_agent_id == (holder.id if holder else -1))
            tasks = await records.fetch_tasks(conn, sa.and_(*where), limit=limit + 1)
        if filters.tag is not None:
            tasks = [t for t in tasks if filters.tag in t.tags]
        more = len(tasks) > limit
        items = tuple(tasks[:limit])
        return TaskPage(items, items[-1].id if more else None)

    async def _target_filter(self, conn: AsyncConnection, team_id: int, raw: str) -> sa.ColumnElement[bool]:
        target = await resolve_target(conn, team_id, raw)
        return sa.and_(
            T.c.target_kind == target.kind.value,
            T.c.target_name == target.name if target.name is not None else sa.true(),
        )

    async def wait_for_task_completion(
        self,
        principal: Principal,
        task_ids: Sequence[int | str],
        timeout_seconds: float = COMPLETION_WAIT_MAX_SECONDS,
    ) -> TaskWait:
        """Wait until every task named is done, failed or cancelled, or `timeout_seconds` pass; either way the
        answer has each task as it is then. The tasks must be of one team the caller reaches."""
        ids = _task_ids_to_wait_for(task_ids)
        timeout = check_wait_seconds(timeout_seconds, COMPLETION_WAIT_MAX_SECONDS, "timeout_seconds")
        async with self.db.read() as conn:
            rows = [await records.load_visible_row(conn, task_id, principal) for task_id in ids]
        teams = {row.team_id for row in rows}
        if len(teams) > 1:
            raise InvalidInput("the tasks to wait for must belong to one team", team_ids=sorted(teams))

        async def current() -> list[Task]:
            async with self.db.read() as conn:
                return await records.fetch_tasks_by_id(conn, ids)

        def all_finished(tasks: list[Task]) -> bool:
            return all(t.status.is_terminal for t in tasks)

        tasks = await wait_until(self.db.notifier, teams.pop(), current, timeout, found=all_finished)
        return TaskWait(tuple(tasks), all_finished(tasks))

    async def get_task_events(
        self, principal: Principal, task_id: int, after_id: int = 0, limit: int = 500
    ) -> list[TaskEvent]:
        async with self.db.read() as conn:
            await records.load_visible_row(conn, task_id, principal)
            return await records.read_events(conn, task_id, after_id, min(max(limit, 1), 1000))

    # -- steering -----------------------------------------------------------------------------------------------

    async def update_task(
        self, principal: Principal, task_id: int, changes: dict[str, Any], attempt: int | None = None
    ) -> Task:
        """Progress and current action (the holder; renews its lease), or title, instructions, priority, tags,
        task type (the creator, a manager or an admin)."""
        progress_fields = {"progress", "current_action"}
        content_fields = {"title", "instructions", "priority", "tags", "task_type"}
        unknown = set(changes) - progress_fields - content_fields
        if unknown:
            raise InvalidInput(f"cannot update {', '.join(sorted(unknown))}", fields=sorted(unknown))
        if not changes:
            raise InvalidInput("nothing to update")
        values = _validated_changes(changes)
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            if set(changes) & content_fields:
                _ensure_steward(principal, row, "edit this task")
            if set(changes) & progress_fields:
                ensure_holder(row, principal, attempt, now, allow_steward=False)
                values["lease_expires_at"] = now + timedelta(seconds=row.lease_seconds)
            if TaskStatus(row.status).is_terminal:
                raise Conflict(f"task {task_id} is {row.status}; it can no longer change", status=row.status)
            await conn.execute(T.update().where(T.c.id == task_id).values(**values, updated_at=now))
            shown = {
                k: (v if k != "priority" else Priority(v).name.lower())
                for k, v in values.items()
                if k not in ("lease_expires_at", "instructions")
            }
            await records.append_events(conn, row.team_id, principal.actor, now, [(task_id, "updated", shown)])
            return await records.require_task(conn, task_id)

    async def cancel_task(
        self, principal: Principal, task_id: int, cascade: bool = False, reason: str | None = None
    ) -> list[Task]:
        """Cancel an open task; with `cascade`, every open task that depends on it too. Returns what was cancelled."""
        check_chars("reason", reason, SHORT_TEXT_MAX_CHARS)
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            _ensure_steward(principal, row, "cancel this task")
            if TaskStatus(row.status).is_terminal:
                raise Conflict(f"task {task_id} is already {row.status}", status=row.status)
            ids = [task_id]
            if cascade:
                later = await records.transitive_dependents(conn, task_id)
                open_rows = await conn.execute(
                    sa.select(T.c.id).where(T.c.id.in_(later), T.c.status.notin_([t.value for t in TERMINAL]))
                )
                ids.extend(r.id for r in open_rows)
            await records.mark_cancelled(conn, ids, now)
            note = reason or ("cancelled with its dependency" if cascade else None)
            await records.append_events(
                conn,
                row.team_id,
                principal.actor,
                now,
                (
                    (
                        i,
                        "cancelled",
                        {"reason": reason if i == task_id else note, "cascade_from": None if i == task_id else task_id},
                    )
                    for i in ids
                ),
            )
            if not cascade:
                await records.explain_blocked_dependents(conn, task_id, f"dependency #{task_id} was cancelled", now)
            cancelled = await records.fetch_tasks_by_id(conn, ids)
        return await notify(self.on_finished, cancelled)

    async def retry_task(self, principal: Principal, task_id: int) -> Task:
        """Give a failed or cancelled task another round: back to `ready` (or `blocked`) with fresh attempts."""
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            is_last_holder = principal.agent is not None and principal.agent.id == row.holder_agent_id
            if not is_last_holder:
                _ensure_steward(principal, row, "retry this task")
            if row.status not in (TaskStatus.FAILED.value, TaskStatus.CANCELLED.value):
                raise Conflict(
                    f"only failed or cancelled tasks can be retried; task {task_id} is {row.status}", status=row.status
                )
            unfinished = await _unfinished_dependencies(conn, task_id)
            status = TaskStatus.BLOCKED if unfinished else TaskStatus.READY
            await conn.execute(
                T.update()
                .where(T.c.id == task_id)
                .values(
                    status=status.value,
                    holder_agent_id=None,
                    lease_expires_at=None,
                    expired_leases=0,
                    completed_status=None,
                    finished_at=None,
                    updated_at=now,
                    blocked_reason=_waiting_reason([f"#{d}" for d in unfinished], []),
                )
            )
            await records.explain_blocked_dependents(conn, task_id, f"waiting for #{task_id}", now)
            await records.append_events(
                conn,
                row.team_id,
                principal.actor,
                now,
                [(task_id, "retried", {"from": row.status, "to": status.value})],
            )
            return await records.require_task(conn, task_id)

    async def reassign_task(self, principal: Principal, task_id: int, target: str | int | None) -> Task:
        """Aim an open task elsewhere; a current claim is released so the new target can take it."""
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            _ensure_steward(principal, row, "reassign this task")
            if TaskStatus(row.status).is_terminal:
                raise Conflict(f"task {task_id} is {row.status}; it cannot be reassigned", status=row.status)
            new = await resolve_target(conn, row.team_id, target)
            values: dict[str, Any] = {
                "target_kind": new.kind.value,
                "target_name": new.name,
                "target_agent_id": new.agent_id,
                "updated_at": now,
            }
            if row.status == TaskStatus.CLAIMED.value:
                values |= {"status": TaskStatus.READY.value, "holder_agent_id": None, "lease_expires_at": None}
            await conn.execute(T.update().where(T.c.id == task_id).values(**values))
            await records.append_events(
                conn,
                row.team_id,
                principal.actor,
                now,
                [(task_id, "reassigned", {"target": new.label, "released": "status" in values})],
            )
            return await records.require_task(conn, task_id)


async def _link_batch(
    conn: AsyncConnection, ids: list[int], depends_on: list[tuple[int, ...]], parents: dict[int, int]
) -> None:
    links = [
        {"task_id": task, "depends_on_id": dep} for task, deps in zip(ids, depends_on, strict=True) for dep in deps
    ]
    if links:
        await conn.execute(D.insert(), links)
    # Set after the insert: a parent named by ref may come later in the batch than its sub-task.
    if parents:
        await conn.execute(
            T.update().where(T.c.id == sa.bindparam("child")).values(parent_id=sa.bindparam("parent")),
            [{"child": child, "parent": parent} for child, parent in parents.items()],
        )


def _written(row: dict[str, Any], parent_id: int | None) -> dict[str, Any]:
    """A new task's row as `records.task_from_row` reads it: nobody holds it, and no sprint or worktree names it
    yet."""
    return {
        **row,
        "parent_id": parent_id,
        "holder_name": None,
        "sprint_id": None,
        "story_id": None,
        "worktree_path": None,
    }


async def _unfinished_dependencies(conn: AsyncConnection, task_id: int) -> list[int]:
    dep = T.alias("dep")
    rows = await conn.execute(
        sa.select(dep.c.id)
        .join(D, D.c.depends_on_id == dep.c.id)
        .where(D.c.task_id == task_id, dep.c.status != TaskStatus.DONE.value)
        .order_by(dep.c.id)
    )
    return [r.id for r in rows]


def _ensure_steward(principal: Principal, row: Any, action: str) -> None:
    """The task's creator, the team's managers and admins steer a task."""
    agent = principal.agent
    if agent is None or agent.is_manager or row.created_by == agent.name:
        return
    raise Forbidden(f"only the task's creator ({row.created_by}), a manager or an admin may {action}")


def _validated_changes(changes: dict[str, Any]) -> dict[str, Any]:
    values = dict(changes)
    if "title" in values:
        check_chars("title", values["title"], TITLE_MAX_CHARS)
        if values["title"] is None or not str(values["title"]).strip():
            raise InvalidInput("title cannot be empty", field="title")
    if "instructions" in values:
        if values["instructions"] is None:
            raise InvalidInput("instructions cannot be null; send an empty string to clear them", field="instructions")
        check_bytes("instructions", values["instructions"])
    if "task_type" in values:
        check_chars("task_type", values["task_type"], TASK_TYPE_MAX_CHARS)
    if "current_action" in values:
        check_chars("current_action", values["current_action"], SHORT_TEXT_MAX_CHARS)
    if "priority" in values:
        values["priority"] = int(Priority.parse(values["priority"]))
    if "tags" in values:
        _check_tags(values["tags"])
    if "progress" in values:
        progress = values["progress"]
        if progress is not None and (not isinstance(progress, int | float) or not 0 <= progress <= PROGRESS_MAX):
            raise InvalidInput(f"progress must be a number from 0 to {PROGRESS_MAX}", field="progress")
        values["progress"] = None if progress is None else int(progress)
    return values


def _check_tags(tags: Any) -> None:
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= TAG_MAX_CHARS for t in tags):
        raise InvalidInput(
            f"tags must be a list of non-empty strings of at most {TAG_MAX_CHARS} characters", field="tags"
        )
    if len(tags) > TAGS_MAX:
        raise InvalidInput(f"at most {TAGS_MAX} tags", field="tags")


def _batch_refs(drafts: Sequence[TaskDraft]) -> dict[str, int]:
    """Each item's `ref` -> its index; refuses duplicates and cycles within the batch."""
    refs: dict[str, int] = {}
    for index, draft in enumerate(drafts):
        if draft.ref is None:
            continue
        if draft.ref in refs:
            raise InvalidInput(f"ref {draft.ref!r} is used by more than one item", ref=draft.ref)
        if draft.ref.isdigit():
            raise InvalidInput(f"ref {draft.ref!r} must not be a number: numbers name existing tasks", ref=draft.ref)
        refs[draft.ref] = index
    for index, draft in enumerate(drafts):
        for dep in draft.depends_on:
            if isinstance(dep, str) and not dep.strip().isdigit() and dep not in refs:
                raise InvalidInput(
                    f"unknown dependency {dep!r}: not a task id nor the ref of an item in this batch",
                    item=index,
                    dependency=dep,
                )
        if isinstance(draft.parent_id, str) and not draft.parent_id.isdigit() and draft.parent_id not in refs:
            raise InvalidInput(f"unknown parent {draft.parent_id!r}", item=index, parent_id=draft.parent_id)
    edges = {i: [refs[str(d)] for d in draft.depends_on if _is_ref(d, refs)] for i, draft in enumerate(drafts)}
    cycle = find_cycle(edges)
    if cycle is not None:
        names = [drafts[i].ref or f"item {i}" for i in cycle]
        raise InvalidInput(f"dependency cycle: {' -> '.join(names)}", cycle=names)
    return refs


def _task_ids_to_wait_for(task_ids: Sequence[int | str]) -> list[int]:
    if not task_ids:
        raise InvalidInput("name at least one task to wait for", field="task_ids")
    if len(task_ids) > BATCH_MAX_TASKS:
        raise InvalidInput(f"wait for at most {BATCH_MAX_TASKS} tasks at once", limit=BATCH_MAX_TASKS)
    return sorted({_as_id(t) for t in task_ids})


def _is_ref(value: int | str, refs: dict[str, int]) -> bool:
    return isinstance(value, str) and value in refs


def _as_id(value: int | str) -> int:
    if isinstance(value, int):
        return _in_id_range(value)
    text = value.strip().lstrip("#")
    if not text.isdigit():
        raise InvalidInput(f"{value!r} is not a task id", value=value)
    return _in_id_range(int(text))


def _in_id_range(task_id: int) -> int:
    if not 0 < task_id <= ID_MAX:
        raise InvalidInput(f"unknown task {task_id}: no such task in this team", unknown=[task_id])
    return task_id


def _waiting_reason(unfinished: list[str], failed: list[str]) -> str | None:
    if failed:
        return f"dependency #{failed[0]} failed or was cancelled"
    if not unfinished:
        return None
    shown = ", ".join(unfinished[:5]) + (f" and {len(unfinished) - 5} more" if len(unfinished) > 5 else "")
    return f"waiting for {shown}"
