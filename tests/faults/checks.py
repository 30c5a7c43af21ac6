"""What the database holds after the hub was killed, read directly, held against the agents' ledgers."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import anyio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from switchboard.storage import schema as s
from tests.faults.workload import LEASE_SECONDS, Claim, Ledger

# The sweep runs every half second; a claim made just before the last kill is back within its lease and a margin.
SETTLE_SECONDS = LEASE_SECONDS + 20
POLL_SECONDS = 0.2


@dataclass
class Snapshot:
    task_ids_by_title: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    status: dict[int, str] = field(default_factory=dict)
    result: dict[int, str | None] = field(default_factory=dict)
    attempt: dict[int, int] = field(default_factory=dict)
    claimed: Counter[tuple[int, int, str]] = field(default_factory=Counter)  # (task, attempt, actor) events
    completions: Counter[int] = field(default_factory=Counter)  # task -> "completed" events
    claimed_at: dict[Claim, datetime] = field(default_factory=dict)
    returned_at: dict[Claim, datetime] = field(default_factory=dict)  # the lease ran out: back to `ready`
    message_ids_by_body: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    deliveries: set[tuple[int, str]] = field(default_factory=set)  # (message, recipient's name)

    @property
    def still_claimed(self) -> list[int]:
        return [task for task, status in self.status.items() if status == "claimed"]


async def read_snapshot(database_url: str, team_id: int) -> Snapshot:
    snap = Snapshot()
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            # Tasks before events: a claim the sweep returns in between shows as still claimed, never as returned
            # without its `lease_expired` event.
            await _read_tasks(conn, team_id, snap)
            await _read_events(conn, team_id, snap)
            await _read_messages(conn, team_id, snap)
    finally:
        await engine.dispose()
    return snap


async def _read_tasks(conn: AsyncConnection, team_id: int, snap: Snapshot) -> None:
    T = s.tasks
    for task in await conn.execute(
        sa.select(T.c.id, T.c.title, T.c.status, T.c.result, T.c.attempt).where(T.c.team_id == team_id)
    ):
        snap.task_ids_by_title[task.title].append(task.id)
        snap.status[task.id] = task.status
        snap.result[task.id] = task.result
        snap.attempt[task.id] = task.attempt


async def _read_events(conn: AsyncConnection, team_id: int, snap: Snapshot) -> None:
    E = s.events
    kinds = E.c.kind.in_(("claimed", "completed", "lease_expired"))
    for event in await conn.execute(
        sa.select(E.c.task_id, E.c.kind, E.c.actor, E.c.at, E.c.data).where(E.c.team_id == team_id, kinds)
    ):
        claim = (event.task_id, event.data.get("attempt"))
        if event.kind == "claimed":
            snap.claimed[(*claim, event.actor)] += 1
            snap.claimed_at[claim] = event.at
        elif event.kind == "completed":
            snap.completions[event.task_id] += 1
        elif event.data["to"] == "ready":
            snap.returned_at[claim] = event.at


async def _read_messages(conn: AsyncConnection, team_id: int, snap: Snapshot) -> None:
    M, D, A = s.messages, s.message_deliveries, s.agents
    for message in await conn.execute(sa.select(M.c.id, M.c.body).where(M.c.team_id == team_id)):
        snap.message_ids_by_body[message.body].append(message.id)
    delivered = sa.select(D.c.message_id, A.c.name).join(A, A.c.id == D.c.agent_id).where(A.c.team_id == team_id)
    snap.deliveries = {(row.message_id, row.name) for row in await conn.execute(delivered)}


async def settled_snapshot(database_url: str, team_id: int) -> Snapshot:
    """The snapshot once no task is claimed any more: every claim left behind came back when its lease ran out."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while (snap := await read_snapshot(database_url, team_id)).still_claimed:
        assert time.monotonic() < deadline, f"tasks still claimed after {SETTLE_SECONDS}s: {snap.still_claimed}"
        await anyio.sleep(POLL_SECONDS)
    return snap


def assert_acknowledged_writes_kept(snap: Snapshot, ledgers: list[Ledger]) -> None:
    """Every write the hub answered is there, once; nothing is there twice."""
    problems = _inconsistencies(snap)
    for ledger in ledgers:
        for title, task_id in ledger.created.items():
            if snap.task_ids_by_title.get(title) != [task_id]:
                problems.append(f"created {title!r} as #{task_id}; found {snap.task_ids_by_title.get(title)}")
        for task_id, result in ledger.completed.items():
            if (snap.status.get(task_id), snap.result.get(task_id)) != ("done", result):
                problems.append(f"completed #{task_id} with {result!r}; found it {snap.status.get(task_id)}")
        for task_id, attempt in ledger.claims:
            if not snap.claimed[(task_id, attempt, ledger.name)]:
                problems.append(f"{ledger.name} claimed #{task_id} attempt {attempt}; no such claim recorded")
        for body, message_id in ledger.sent.items():
            if snap.message_ids_by_body.get(body) != [message_id]:
                problems.append(f"sent {body!r} as #{message_id}; found {snap.message_ids_by_body.get(body)}")
            elif (message_id, ledger.peer) not in snap.deliveries:
                problems.append(f"message #{message_id} was not delivered to {ledger.peer}")
    assert not problems, "\n".join(problems[:30])


def assert_left_claims_came_back(snap: Snapshot, ledgers: list[Ledger]) -> None:
    """Each claim ended one way only: completed by its holder, or returned to `ready` when its lease ran out."""
    problems = [f"#{task} is still claimed" for task in snap.still_claimed]
    for ledger in ledgers:
        problems += _claims_left_unended(snap, ledger)
    assert not problems, "\n".join(problems[:30])


def _claims_left_unended(snap: Snapshot, ledger: Ledger) -> list[str]:
    problems = []
    unknown_completions = {(task, attempt): result for task, attempt, result in ledger.unanswered_completions}
    for claim in ledger.claims:
        if not (claim[0] in ledger.completed or claim in ledger.abandoned or claim in unknown_completions):
            problems.append(f"{ledger.name} never finished with its claim {claim}")
    problems += [f"{ledger.name} left {c}; it never came back" for c in ledger.abandoned if c not in snap.returned_at]
    for claim, result in unknown_completions.items():
        completed = (snap.status.get(claim[0]), snap.result.get(claim[0])) == ("done", result)
        if completed == (claim in snap.returned_at):
            problems.append(f"{ledger.name}'s unanswered completion of {claim}: done={completed}, returned too")
    # Claims the agent was never told of, made by requests whose answer was lost.
    untold = [(task, n) for (task, n, actor) in snap.claimed if actor == ledger.name and (task, n) not in ledger.claims]
    if len(untold) > ledger.unanswered_claims:
        problems.append(f"{ledger.name} holds claims it never asked for: {untold}")
    problems += [f"{ledger.name}'s untold claim {c} never came back" for c in untold if c not in snap.returned_at]
    return problems


def _inconsistencies(snap: Snapshot) -> list[str]:
    problems = [f"{len(ids)} tasks titled {title!r}" for title, ids in snap.task_ids_by_title.items() if len(ids) > 1]
    problems += [f"{len(ids)} messages {body!r}" for body, ids in snap.message_ids_by_body.items() if len(ids) > 1]
    problems += [f"#{task} completed {n} times" for task, n in snap.completions.items() if n > 1]
    lease = timedelta(seconds=LEASE_SECONDS)
    for claim, returned in snap.returned_at.items():
        if returned - snap.claimed_at[claim] < lease:
            problems.append(f"claim {claim} of {snap.claimed_at[claim]} was taken back early, at {returned}")
    attempts: dict[int, list[int]] = defaultdict(list)
    for (task, attempt, _), n in snap.claimed.items():
        attempts[task] += [attempt] * n
    for task, seen in attempts.items():
        if sorted(seen) != list(range(1, snap.attempt[task] + 1)):
            problems.append(f"#{task} is at attempt {snap.attempt[task]} with claims of attempts {sorted(seen)}")
    return problems
