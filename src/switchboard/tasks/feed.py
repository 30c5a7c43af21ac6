"""A team's events in id order, for a reader that follows them live and may resume from the last id it saw.

Event ids come from one counter shared by every team, taken before the writer commits, so on PostgreSQL a
later id can become visible before an earlier one. Handing out the later one first would let a reader that
resumes from it skip the earlier one for good. So the feed moves through the counter without holes: it stops
before an id that is not visible yet.

A rolled-back transaction leaves a hole that never fills. The feed tells the two apart by the transactions that
were in progress just after it first saw the hole: whichever took the missing id was one of them, or had already
ended. Once all of them have ended and the id is still missing, it never comes, and the feed moves on. A hole
held open longer than `GAP_GRACE_SECONDS` (a transaction left open) is passed too.
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks.models import TaskEvent

E = s.events
GAP_GRACE_SECONDS = 30.0
BATCH = 500


class TeamEventFeed:
    """One reader's position in a team's events (`after_id`: the last event it has)."""

    def __init__(self, db: Database, team_id: int, after_id: int = 0) -> None:
        self.db = db
        self.team_id = team_id
        self.position = after_id
        # Each missing id: when it was first seen missing, and the transactions in progress just after.
        self._holes: dict[int, tuple[float, frozenset[int]]] = {}
        self.more = False

    @property
    def waiting_on_a_hole(self) -> bool:
        """True when events may be held back behind an id that is not visible yet."""
        return bool(self._holes)

    async def next_events(self) -> list[TaskEvent]:
        """The team's events after the position that can be handed out now, oldest first. When `more` is then
        true, call again at once: other teams' events filled the batch."""
        async with self.db.read() as conn:
            if self.position == 0:
                self.position = await self._start(conn)
            running = await self.db.transactions_in_progress(conn)
            rows = (
                await conn.execute(
                    sa.select(E.c.id, E.c.team_id).where(E.c.id > self.position).order_by(E.c.id).limit(BATCH)
                )
            ).all()
            ready_to = await self._contiguous_end(conn, [r.id for r in rows], running)
            self.more = len(rows) == BATCH and ready_to > self.position
            wanted = [r.id for r in rows if r.team_id == self.team_id and r.id <= ready_to]
            events = await _events(conn, wanted)
        self.position = ready_to
        return events

    async def skip_to_now(self) -> int:
        """Move past the events visible now without reading them, for a reader that loads the current state
        instead. It stops before an id not visible yet, as `next_events` does, so a few events it passes over
        may be handed out later too. Returns the new position."""
        async with self.db.read() as conn:
            running = await self.db.transactions_in_progress(conn)
            newest = int(await conn.scalar(sa.select(sa.func.max(E.c.id))) or 0)
            self.position = max(self.position, newest - BATCH)
            ids = (await conn.execute(sa.select(E.c.id).where(E.c.id > self.position).order_by(E.c.id))).scalars()
            self.position = await self._contiguous_end(conn, list(ids), running)
        return self.position

    async def _start(self, conn: AsyncConnection) -> int:
        # Before the team's first event nothing of the team can be missed: start just before it. A team with no
        # events yet starts a batch behind the newest, which still covers any id taken but not yet committed.
        first = await conn.scalar(sa.select(sa.func.min(E.c.id)).where(E.c.team_id == self.team_id))
        if first is not None:
            return int(first) - 1
        newest = await conn.scalar(sa.select(sa.func.max(E.c.id)))
        return max(int(newest or 0) - BATCH, 0)

    async def _contiguous_end(self, conn: AsyncConnection, ids: Sequence[int], running: frozenset[int]) -> int:
        """How far the feed may move through `ids` (read just after `running` were the transactions in progress)."""
        end = self.position
        now = anyio.current_time()
        after: frozenset[int] | None = None
        for event_id in ids:
            while end + 1 < event_id:
                hole = end + 1
                if hole not in self._holes:
                    # Its writer may have begun after `running` was read: wait for those in progress now.
                    if after is None:
                        after = await self.db.transactions_in_progress(conn)
                    self._holes[hole] = (now, after)
                    return end
                seen_at, writers = self._holes[hole]
                if writers & running and now - seen_at < GAP_GRACE_SECONDS:
                    return end
                self._holes.pop(hole)
                end += 1
            self._holes.pop(event_id, None)
            end = event_id
        self._holes = {i: hole for i, hole in self._holes.items() if i > end}
        return end


async def _events(conn: AsyncConnection, ids: Sequence[int]) -> list[TaskEvent]:
    if not ids:
        return []
    rows = await conn.execute(sa.select(E).where(E.c.id.in_(ids)).order_by(E.c.id))
    return [TaskEvent(r.id, r.task_id, r.kind, r.actor, r.at, dict(r.data or {})) for r in rows]
