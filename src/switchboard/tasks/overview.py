"""A team's work as people watch it: the board (every open task, the latest finished ones) and the dependency
graph of its open work or of one sprint."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import InvalidInput
from switchboard.storage import Database
from switchboard.tasks import records
from switchboard.tasks.dag import depths
from switchboard.tasks.models import OPEN, TERMINAL, Priority, Task, TaskStatus
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService

T = records.T
S = records.S
HOLDER = records.holder_agent
# A board shows every open task up to this many; past it the board says it is cut.
BOARD_OPEN_MAX = 5000
FINISHED_SHOWN_MAX = 500
GRAPH_MAX_NODES = 2000


@dataclass(frozen=True)
class Card:
    """A task as its card on the board shows it. `GET /tasks/{id}` has the same keys and more, so a page can
    put a task it read again in place of its card."""

    id: int
    title: str
    status: TaskStatus
    priority: Priority
    target: str | None
    holder: str | None
    progress: int | None
    current_action: str | None
    blocked_reason: str | None
    tags: tuple[str, ...]
    sprint_id: int | None
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, task: Task) -> Card:
        return cls(**{f.name: getattr(task, f.name) for f in fields(cls)})

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "priority": self.priority.name.lower(),
            "target": self.target,
            "holder": self.holder,
            "progress": self.progress,
            "current_action": self.current_action,
            "blocked_reason": self.blocked_reason,
            "tags": list(self.tags),
            "sprint_id": self.sprint_id,
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at is not None else None,
        }


@dataclass(frozen=True)
class Board:
    """Open tasks oldest first, then the most recently finished ones of each finished status; `counts` has every
    status's total, shown or not."""

    team_id: int
    cards: tuple[Card, ...]
    counts: dict[str, int]
    truncated: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "tasks": [c.to_json() for c in self.cards],
            "counts": self.counts,
            "truncated": self.truncated,
        }


@dataclass(frozen=True)
class TaskGraph:
    """Tasks with their depth (0: no dependency among the tasks shown) and one edge per dependency between them,
    from the dependency to the task that waits for it."""

    team_id: int
    tasks: tuple[Task, ...]
    depth: dict[int, int]
    edges: tuple[tuple[int, int], ...]
    truncated: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "nodes": [{**Card.of(t).to_json(), "depth": self.depth[t.id]} for t in self.tasks],
            "edges": [{"from": dep, "to": task} for dep, task in self.edges],
            "truncated": self.truncated,
        }


class TaskOverview:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def board(self, principal: Principal, team_id: int, finished_shown: int = 50) -> Board:
        """Every open task (up to 5,000) and the `finished_shown` most recently finished of each finished status."""
        if not 0 <= finished_shown <= FINISHED_SHOWN_MAX:
            raise InvalidInput(f"finished must be from 0 to {FINISHED_SHOWN_MAX}", finished=finished_shown)
        in_team = T.c.team_id == team_id
        async with self.db.read() as conn:
            await self.teams.get_team(principal, team_id, conn)
            rows = await conn.execute(sa.select(T.c.status, sa.func.count()).where(in_team).group_by(T.c.status))
            counts = {status: int(n) for status, n in rows}
            open_statuses = T.c.status.in_(sorted(s.value for s in OPEN))
            cards = await _cards(conn, sa.and_(in_team, open_statuses), (T.c.id,), BOARD_OPEN_MAX + 1)
            truncated = len(cards) > BOARD_OPEN_MAX
            del cards[BOARD_OPEN_MAX:]
            latest = (T.c.finished_at.desc(), T.c.id.desc())
            for status in sorted(s.value for s in TERMINAL):
                if finished_shown and counts.get(status):
                    cards += await _cards(conn, sa.and_(in_team, T.c.status == status), latest, finished_shown)
        return Board(team_id, tuple(cards), counts, truncated)

    async def graph(
        self, principal: Principal, team_id: int, sprint_id: int | None = None, include_finished: bool = False
    ) -> TaskGraph:
        """The dependency graph of the team's open tasks (with `include_finished`, of all of them), or of every
        story of one sprint; at most 2,000 tasks, the oldest first."""
        where = T.c.team_id == team_id
        if sprint_id is not None:
            where = sa.and_(where, T.c.id.in_(sa.select(S.c.task_id).where(S.c.sprint_id == sprint_id)))
        elif not include_finished:
            where = sa.and_(where, T.c.status.in_(sorted(s.value for s in OPEN)))
        async with self.db.read() as conn:
            await self.teams.get_team(principal, team_id, conn)
            found = await records.fetch_tasks(conn, where, limit=GRAPH_MAX_NODES + 1)
        tasks = found[:GRAPH_MAX_NODES]
        shown = {t.id for t in tasks}
        edges = tuple((dep, t.id) for t in tasks for dep in t.depends_on if dep in shown)
        depth = depths({t.id: [d for d in t.depends_on if d in shown] for t in tasks})
        return TaskGraph(team_id, tuple(tasks), depth, edges, len(found) > GRAPH_MAX_NODES)


CARD_COLUMNS = (
    T.c.id,
    T.c.title,
    T.c.status,
    T.c.priority,
    T.c.target_kind,
    T.c.target_name,
    HOLDER.c.name.label("holder_name"),
    T.c.progress,
    T.c.current_action,
    T.c.blocked_reason,
    T.c.tags,
    S.c.sprint_id,
    T.c.updated_at,
    T.c.finished_at,
)


async def _cards(conn: AsyncConnection, where: sa.ColumnElement[bool], order: Any, limit: int) -> list[Card]:
    # Only the columns a card shows: a task's instructions and result can be 64 KiB each.
    query = (
        sa.select(*CARD_COLUMNS)
        .select_from(T.outerjoin(HOLDER, HOLDER.c.id == T.c.holder_agent_id).outerjoin(S, S.c.task_id == T.c.id))
        .where(where)
        .order_by(*order)
        .limit(limit)
    )
    return [
        Card(
            id=r.id,
            title=r.title,
            status=TaskStatus(r.status),
            priority=Priority(r.priority),
            target=records.target_label(r.target_kind, r.target_name),
            holder=r.holder_name,
            progress=r.progress,
            current_action=r.current_action,
            blocked_reason=r.blocked_reason,
            tags=tuple(r.tags or ()),
            sprint_id=r.sprint_id,
            updated_at=r.updated_at,
            finished_at=r.finished_at,
        )
        for r in await conn.execute(query)
    ]
