"""A team's work as people watch it: the board (every open task, the latest finished ones) and the dependency
graph of its open work or of one sprint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from switchboard.clock import Clock
from switchboard.errors import InvalidInput
from switchboard.storage import Database
from switchboard.tasks import records
from switchboard.tasks.dag import depths
from switchboard.tasks.models import OPEN, TERMINAL, Task
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService

T = records.T
S = records.S
# A board shows every open task up to this many; past it the board says it is cut.
BOARD_OPEN_MAX = 5000
FINISHED_SHOWN_MAX = 500
GRAPH_MAX_NODES = 2000


@dataclass(frozen=True)
class Board:
    """Open tasks oldest first, then the most recently finished ones of each finished status; `counts` has every
    status's total, shown or not."""

    team_id: int
    tasks: tuple[Task, ...]
    counts: dict[str, int]
    truncated: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "tasks": [card_json(t) for t in self.tasks],
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
            "nodes": [{**card_json(t), "depth": self.depth[t.id]} for t in self.tasks],
            "edges": [{"from": dep, "to": task} for dep, task in self.edges],
            "truncated": self.truncated,
        }


def card_json(task: Task) -> dict[str, Any]:
    """What a card on the board shows of a task: `GET /tasks/{id}` has the same keys and more."""
    full = task.to_json()
    keys = (
        "id",
        "title",
        "status",
        "priority",
        "target",
        "holder",
        "progress",
        "current_action",
        "blocked_reason",
        "tags",
        "depends_on",
        "parent_id",
        "sprint_id",
        "story_id",
        "task_type",
        "completed_status",
        "created_at",
        "updated_at",
        "finished_at",
    )
    return {k: full[k] for k in keys}


class TaskOverview:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def board(self, principal: Principal, team_id: int, finished_shown: int = 50) -> Board:
        """Every open task (up to 5,000) and the `finished_shown` most recently finished of each finished status."""
        if not 0 <= finished_shown <= FINISHED_SHOWN_MAX:
            raise InvalidInput(f"finished must be from 0 to {FINISHED_SHOWN_MAX}", finished=finished_shown)
        open_values = sorted(s.value for s in OPEN)
        async with self.db.read() as conn:
            await self.teams.get_team(principal, team_id, conn)
            rows = await conn.execute(
                sa.select(T.c.status, sa.func.count()).where(T.c.team_id == team_id).group_by(T.c.status)
            )
            counts = {status: int(n) for status, n in rows}
            in_team = T.c.team_id == team_id
            open_tasks = await records.fetch_tasks(
                conn, sa.and_(in_team, T.c.status.in_(open_values)), limit=BOARD_OPEN_MAX + 1
            )
            finished: list[Task] = []
            for status in sorted(s.value for s in TERMINAL):
                if finished_shown and counts.get(status):
                    latest = (T.c.finished_at.desc(), T.c.id.desc())
                    where = sa.and_(in_team, T.c.status == status)
                    finished += await records.fetch_tasks(conn, where, order=latest, limit=finished_shown)
        truncated = len(open_tasks) > BOARD_OPEN_MAX
        return Board(team_id, tuple(open_tasks[:BOARD_OPEN_MAX] + finished), counts, truncated)

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
