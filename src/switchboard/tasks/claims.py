"""Claims and leases: claim, heartbeat, complete, unclaim, and the sweep of expired leases."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import anyio.lowlevel
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.batching import Batcher
from switchboard.clock import Clock
from switchboard.errors import Conflict, Forbidden, LimitExceeded, NotFound, SwitchboardError
from switchboard.limits import SHORT_TEXT_MAX_CHARS, check_bytes, check_chars
from switchboard.presence.models import AgentPresence
from switchboard.presence.records import mark_alive, presence_of
from switchboard.storage import Database
from switchboard.tasks import records
from switchboard.tasks.models import CompletedStatus, SweepResult, Task, TaskStatus, Usage
from switchboard.teams.models import Agent, Principal
from switchboard.teams.targets import admitted_agents, admitting_clause, target_admits, target_from_row
from switchboard.usage.budget import claim_allowance, ensure_claim_allowed
from switchboard.usage.ledger import Source, check_usage, is_empty, record_usage, usage_event
from switchboard.waiting import check_wait_seconds, wait_until

T = records.T
SWEEP_BATCH = 500
log = logging.getLogger("switchboard")
TaskListener = Callable[[Task], Awaitable[Task]]
UNRECEIVED = "claimed for a caller who was gone before it received the claim"


class ClaimService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # Run after the claim commits; each may answer the task with more filled in (its worktree).
        self.on_claimed: list[TaskListener] = []
        # Run once per batch of `claim_next` claims after it commits, before each claim's `on_claimed`.
        self.on_batch_claimed: list[Callable[[Sequence[Task]], Awaitable[None]]] = []
        # Run after a task's completion commits; each answers the task as it is afterwards.
        self.on_finished: list[TaskListener] = []
        # Run, after those, for a task that was in review when it was completed (by a manager, say).
        self.on_finished_in_review: list[TaskListener] = []
        # Told each time a claim is refused because the task is taken, blocked or not ready.
        self.on_conflict: list[Callable[[], None]] = []
        # Many agents asking at once are answered together, in one transaction per batch.
        self._next_claims: Batcher[Agent, Task | None] = Batcher(
            self._claim_next_batch, unreceived=self._release_unreceived
        )
        self._completions: Batcher[_Completion, tuple[Task, bool]] = Batcher(self._complete_batch)
        self._teams_with_work: set[int] = set()

    async def claim_task(self, principal: Principal, task_id: int) -> Task:
        """Claim a named task. Of many claimers exactly one wins; claiming a task you hold returns it."""
        try:
            task = await self._claim_task(principal, task_id)
        except Conflict:
            for listener in self.on_conflict:
                listener()
            raise
        return await self.claimed(task)

    async def _claim_task(self, principal: Principal, task_id: int) -> Task:
        agent = _claimer(principal)
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            if row.status == TaskStatus.CLAIMED.value and row.holder_agent_id == agent.id:
                return await records.require_task(conn, task_id)
            if row.status == TaskStatus.CLAIMED.value:
                holder = await records.fetch_task(conn, task_id)
                raise Conflict(
                    f"task {task_id} is already claimed by {holder.holder if holder else 'another agent'}",
                    task_id=task_id,
                    holder=holder.holder if holder else None,
                )
            if row.status == TaskStatus.BLOCKED.value:
                raise Conflict(
                    f"task {task_id} is blocked: {row.blocked_reason}",
                    task_id=task_id,
                    blocked_reason=row.blocked_reason,
                )
            if row.status != TaskStatus.READY.value:
                raise Conflict(f"task {task_id} is {row.status}; only ready tasks can be claimed", status=row.status)
            target = target_from_row(row.target_kind, row.target_name, row.target_agent_id)
            if not target_admits(target, agent):
                raise Forbidden(
                    f"task {task_id} is aimed at {target.label}, which does not include you ({agent.name})",
                    target=target.label,
                )
            return await self._take(conn, row, agent, now)

    async def claim_next(
        self, principal: Principal, team_id: int | None = None, wait_seconds: float | None = None
    ) -> Task | None:
        """Claim the best ready task aimed at the caller (or its groups, its role, everyone, or nobody).

        An agent claims in its own team; naming another team (`team_id`) finds nothing. With `wait_seconds`,
        an empty answer waits until a task arrives or the time is up.
        """
        agent = _claimer(principal)
        if team_id is not None and team_id != agent.team_id:
            raise NotFound(f"team {team_id} not found")
        wait = check_wait_seconds(wait_seconds)
        return await wait_until(self.db.notifier, agent.team_id, lambda: self._claim_next_now(agent), wait)

    async def _claim_next_now(self, agent: Agent) -> Task | None:
        task = await self._next_claims.submit(agent)
        if task is None:
            return None
        try:
            task = await self.claimed(task)
            # A caller cancelled by now (its client hung up) would never receive the claim.
            await anyio.lowlevel.checkpoint_if_cancelled()
        except anyio.get_cancelled_exc_class():
            await self._release_unreceived(agent, task)
            raise
        return task

    async def _release_unreceived(self, agent: Agent, task: Task | None) -> None:
        """Put a claim its caller never received back to `ready` at once, rather than when its lease runs out.

        Only that very claim (same holder, same attempt) is released: the sweep or anyone else may have moved the
        task on meanwhile. The attempt number stays spent, as a fencing token must, but does not count as a lost
        lease towards `max_attempts`: nobody worked on the task.
        """
        if task is None:
            return
        now = self.clock()
        with anyio.CancelScope(shield=True):
            try:
                async with self.db.write() as conn:
                    released = await conn.execute(
                        T.update()
                        .where(
                            T.c.id == task.id,
                            T.c.status == TaskStatus.CLAIMED.value,
                            T.c.holder_agent_id == agent.id,
                            T.c.attempt == task.attempt,
                        )
                        .values(
                            status=TaskStatus.READY.value, holder_agent_id=None, lease_expires_at=None, updated_at=now
                        )
                    )
                    if released.rowcount:
                        data = {"attempt": task.attempt, "holder": agent.name, "reason": UNRECEIVED}
                        await records.append_events(conn, task.team_id, "hub", now, [(task.id, "unclaimed", data)])
            except Exception:
                log.exception(
                    "task %d stays claimed for %s, who is gone, until its lease runs out", task.id, agent.name
                )

    async def _claim_next_batch(self, agents: Sequence[Agent]) -> list[Task | Exception | None]:
        """For each agent in turn, claim the best ready task aimed at it that no agent before it took."""
        now = self.clock()
        by_team: dict[int, list[int]] = {}
        for index, agent in enumerate(agents):
            by_team.setdefault(agent.team_id, []).append(index)
        # Looking first without the write transaction keeps empty polls (and waiters' re-checks) off the
        # writer's path. A team whose last batch found work is likely to have more: no need to look first.
        teams = [team_id for team_id in by_team if team_id in self._teams_with_work]
        if len(teams) < len(by_team):
            async with self.db.read() as conn:
                for team_id, members in by_team.items():
                    bound = _bound(team_id, [agents[i] for i in members])
                    if team_id not in teams and (await conn.execute(ANY_READY, bound)).first():
                        teams.append(team_id)
        outcomes: list[int | Exception | None] = [None] * len(agents)
        if not teams:
            return [None] * len(agents)
        async with self.db.write() as conn:
            for team_id in teams:
                callers = [(i, agents[i]) for i in by_team[team_id]]
                if await self._claim_in_team(conn, team_id, callers, now, outcomes):
                    self._teams_with_work.add(team_id)
                else:
                    self._teams_with_work.discard(team_id)
            taken = [o for o in outcomes if isinstance(o, int)]
            tasks = {t.id: t for t in await records.fetch_tasks_by_id(conn, taken)} if taken else {}
        for listener in self.on_batch_claimed:
            try:
                await listener(list(tasks.values()))
            except Exception:
                log.exception("after a batch of %d claims", len(tasks))
        return [tasks[o] if isinstance(o, int) else o for o in outcomes]

    async def _claim_in_team(
        self,
        conn: AsyncConnection,
        team_id: int,
        members: list[tuple[int, Agent]],
        now: datetime,
        outcomes: list[int | Exception | None],
    ) -> bool:
        """Take tasks of one team for its callers in this batch; each outcome is a task id, None or a refusal.
        Whether there was a task for every caller (so more may be waiting)."""
        wanted = {**_bound(team_id, [agent for _, agent in members]), "wanted": len(members)}
        fetched = (await conn.execute(self.db.lock_rows(BEST_READY, skip_locked=True), wanted)).all()
        if not fetched:
            return False
        free = list(fetched)
        taken: set[int] = set()
        allowance = await claim_allowance(conn, team_id, now, self.db.lock_rows)
        updates: list[dict[str, Any]] = []
        events: list[records.EventRow] = []
        for index, agent in members:
            row = next((r for r in free if target_admits(target_from_row(*_target_of(r)), agent)), None)
            if row is None and len(fetched) == len(members):
                # The tasks fetched went to others; ones aimed at this agent alone may lie further down.
                own = {**_bound(team_id, [agent]), "taken": sorted(taken)}
                row = (await conn.execute(self.db.lock_rows(BEST_READY_NOT_TAKEN, skip_locked=True), own)).first()
            if row is None:
                continue
            try:
                allowance.admit(agent.id)
            except LimitExceeded as exc:
                outcomes[index] = exc
                continue
            if row in free:
                free.remove(row)
            taken.add(row.id)
            outcomes[index] = row.id
            lease = now + timedelta(seconds=row.lease_seconds)
            updates.append({"claimed_id": row.id, "claimer": agent.id, "lease": lease, "now": now})
            events.append(records.event_row(team_id, row.id, "claimed", agent.name, now, {"attempt": row.attempt + 1}))
        if updates:
            await conn.execute(_TAKE, updates)
            await records.insert_events(conn, events)
        return len(fetched) == len(members)

    async def claimed(self, task: Task) -> Task:
        return (await notify(self.on_claimed, [task]))[0]

    async def _take(self, conn: AsyncConnection, row: Any, agent: Agent, now: datetime) -> Task:
        await ensure_claim_allowed(conn, row.team_id, agent.id, now, self.db.lock_rows)
        attempt = row.attempt + 1
        await conn.execute(
            T.update()
            .where(T.c.id == row.id)
            .values(
                status=TaskStatus.CLAIMED.value,
                holder_agent_id=agent.id,
                attempt=attempt,
                claimed_at=now,
                lease_expires_at=now + timedelta(seconds=row.lease_seconds),
                updated_at=now,
            )
        )
        await records.append_events(conn, row.team_id, agent.name, now, [(row.id, "claimed", {"attempt": attempt})])
        return await records.require_task(conn, row.id)

    async def heartbeat(
        self, principal: Principal, task_id: int | None = None, attempt: int | None = None
    ) -> Task | AgentPresence:
        """Renew the caller's lease on a task it holds, and mark the caller alive.

        Without a task it only marks the agent alive and answers with its presence.
        """
        if task_id is None:
            return await self._mark_alive(principal)
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            ensure_holder(row, principal, attempt, now, allow_steward=False)
            await conn.execute(
                T.update().where(T.c.id == task_id).values(lease_expires_at=now + timedelta(seconds=row.lease_seconds))
            )
            if principal.agent is not None:
                await mark_alive(conn, principal.agent, now)
            return await records.require_task(conn, task_id)

    async def _mark_alive(self, principal: Principal) -> AgentPresence:
        if principal.agent is None:
            raise Forbidden("an admin key is not an agent: only agents send heartbeats")
        now = self.clock()
        async with self.db.write() as conn:
            await mark_alive(conn, principal.agent, now)
            return await presence_of(conn, principal.agent, now)

    async def unclaim_task(
        self, principal: Principal, task_id: int, attempt: int | None = None, reason: str | None = None
    ) -> Task:
        """Give a held task back: it is `ready` again for anyone it is aimed at."""
        check_chars("reason", reason, SHORT_TEXT_MAX_CHARS)
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            ensure_holder(row, principal, attempt, now, allow_steward=False)
            await conn.execute(
                T.update()
                .where(T.c.id == task_id)
                .values(
                    status=TaskStatus.READY.value,
                    holder_agent_id=None,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            await records.append_events(
                conn,
                row.team_id,
                principal.actor,
                now,
                [(task_id, "unclaimed", {"reason": reason, "attempt": row.attempt})],
            )
            return await records.require_task(conn, task_id)

    async def complete_task(
        self,
        principal: Principal,
        task_id: int,
        completed_status: str | None = "SUCCESS",
        result: str | None = None,
        usage: Usage | None = None,
        attempt: int | None = None,
    ) -> Task:
        """Finish a task: SUCCESS or SKIPPED -> done (dependents may unblock), FAILED -> failed, CANCELLED too."""
        outcome = CompletedStatus.parse(completed_status)
        check_bytes("result", result)
        usage = usage or Usage()
        check_usage(usage)
        task, was_in_review = await self._completions.submit(
            _Completion(principal, task_id, outcome, result, usage, attempt)
        )
        task = (await notify(self.on_finished, [task]))[0]
        return (await notify(self.on_finished_in_review, [task]))[0] if was_in_review else task

    async def _complete_batch(self, items: Sequence[_Completion]) -> list[tuple[Task, bool] | Exception]:
        """Each answer is the task as completed, and whether it was in review until then."""
        # Each task in turn, in one transaction; a refusal answers its own call and changes nothing.
        now = self.clock()
        outcomes: list[int | Exception] = []
        async with self.db.write() as conn:
            rows = await records.load_rows(conn, sorted({i.task_id for i in items}), self.db.row_locks)
            finished: dict[int, str] = {}
            updates: list[dict[str, Any]] = []
            events: list[records.EventRow] = []
            done: dict[int, str] = {}
            for item in items:
                try:
                    row = records.visible_row(rows.get(item.task_id), item.task_id, item.principal)
                    status_now = finished.get(row.id, row.status)
                    if TaskStatus(status_now).is_terminal:
                        raise Conflict(f"task {row.id} is already {status_now}", status=status_now)
                    ensure_holder(row, item.principal, item.attempt, now, allow_steward=True)
                except SwitchboardError as exc:
                    outcomes.append(exc)
                    continue
                status = item.outcome.task_status
                finished[row.id] = status.value
                outcomes.append(row.id)
                usage, actor = item.usage, item.principal.actor
                updates.append(
                    {
                        "finished_id": row.id,
                        "new_status": status.value,
                        "outcome": item.outcome.value,
                        "answer": item.result,
                        "new_progress": 100 if status == TaskStatus.DONE else row.progress,
                        "new_tokens_in": row.tokens_in + usage.tokens_in,
                        "new_tokens_out": row.tokens_out + usage.tokens_out,
                        "new_cost": row.cost_usd + usage.cost_usd,
                        "new_model": usage.model or row.model,
                        "now": now,
                    }
                )
                data = {"completed_status": item.outcome.value, "to": status.value}
                events.append(records.event_row(row.team_id, row.id, "completed", actor, now, data))
                if not is_empty(usage):
                    agent_id = item.principal.agent.id if item.principal.agent is not None else None
                    await record_usage(conn, row.team_id, agent_id, row.id, Source.COMPLETE_TASK, usage, now)
                    data = usage_event(usage, Source.COMPLETE_TASK)
                    events.append(records.event_row(row.team_id, row.id, "usage_reported", actor, now, data))
                if status == TaskStatus.DONE:
                    done[row.id] = actor
                else:
                    verb = "failed" if status == TaskStatus.FAILED else "was cancelled"
                    await records.explain_blocked_dependents(conn, row.id, f"dependency #{row.id} {verb}", now)
            if updates:
                await conn.execute(_FINISH, updates)
            unblocked = await records.unblock_dependents(conn, list(done), now, self.db.row_locks)
            for task_id, by in unblocked.items():
                team_id = rows[by].team_id
                events.append(records.event_row(team_id, task_id, "unblocked", done[by], now, {"by": by}))
            await records.insert_events(conn, events)
            ended = [o for o in outcomes if isinstance(o, int)]
            tasks = {t.id: t for t in await records.fetch_tasks_by_id(conn, ended)} if ended else {}
        in_review = TaskStatus.IN_REVIEW.value
        return [(tasks[o], rows[o].status == in_review) if isinstance(o, int) else o for o in outcomes]

    async def sweep_expired_leases(self) -> SweepResult:
        """Return claims whose lease ran out to `ready` (or `failed` after `max_attempts` lost leases): all of
        them, a transaction per `SWEEP_BATCH`."""
        now = self.clock()
        returned: list[int] = []
        failed: list[int] = []
        while True:
            swept = len(returned) + len(failed)
            await self._sweep_batch(now, returned, failed)
            if len(returned) + len(failed) - swept < SWEEP_BATCH:
                return SweepResult(tuple(returned), tuple(failed))

    async def _sweep_batch(self, now: datetime, returned: list[int], failed: list[int]) -> None:
        async with self.db.write() as conn:
            query = (
                sa.select(T.c.id, T.c.team_id, T.c.attempt, T.c.expired_leases, T.c.max_attempts, T.c.holder_agent_id)
                .where(T.c.status == TaskStatus.CLAIMED.value, T.c.lease_expires_at <= now)
                .order_by(T.c.lease_expires_at)
                .limit(SWEEP_BATCH)
            )
            for row in (await conn.execute(self.db.lock_rows(query, skip_locked=True))).all():
                lost = row.expired_leases + 1
                gives_up = lost >= row.max_attempts
                reason = f"lease expired {lost} time(s); giving up after {row.max_attempts}" if gives_up else None
                await conn.execute(
                    T.update()
                    .where(T.c.id == row.id)
                    .values(
                        status=(TaskStatus.FAILED if gives_up else TaskStatus.READY).value,
                        holder_agent_id=row.holder_agent_id if gives_up else None,
                        expired_leases=lost,
                        lease_expires_at=None,
                        updated_at=now,
                        finished_at=now if gives_up else None,
                        result=reason if gives_up else None,
                        completed_status="FAILED" if gives_up else None,
                    )
                )
                data = {"attempt": row.attempt, "expired_leases": lost, "to": "failed" if gives_up else "ready"}
                await records.append_events(conn, row.team_id, "hub", now, [(row.id, "lease_expired", data)])
                if gives_up:
                    await records.explain_blocked_dependents(conn, row.id, f"dependency #{row.id} failed", now)
                (failed if gives_up else returned).append(row.id)


def ensure_holder(row: Any, principal: Principal, attempt: int | None, now: datetime, *, allow_steward: bool) -> None:
    """The fencing rule: only the current holder, on its current attempt and unexpired lease, acts as holder.

    With `allow_steward`, a manager or admin may act on an open task without holding it.
    """
    agent = principal.agent
    steward = agent is None or agent.is_manager
    if allow_steward and steward:
        return
    if agent is None:
        raise Forbidden("an admin key does not hold tasks")
    if row.status != TaskStatus.CLAIMED.value or row.holder_agent_id != agent.id:
        raise Conflict(
            f"you do not hold task {row.id} (it is {row.status}); claim it first", task_id=row.id, status=row.status
        )
    if attempt is not None and attempt != row.attempt:
        raise Conflict(
            f"your claim (attempt {attempt}) of task {row.id} was superseded by attempt {row.attempt}",
            attempt=attempt,
            current_attempt=row.attempt,
        )
    if row.lease_expires_at is not None and row.lease_expires_at <= now:
        raise Conflict(
            f"your lease on task {row.id} expired at {row.lease_expires_at.isoformat()}; it will return to ready",
            lease_expires_at=row.lease_expires_at.isoformat(),
        )


async def notify(listeners: list[TaskListener], tasks: list[Task]) -> list[Task]:
    """Run listeners on tasks whose change is committed; the tasks as the listeners leave them.

    The change stands whatever a listener does, so a listener failing is logged, never raised.
    """
    answered = []
    for task in tasks:
        for listener in listeners:
            try:
                task = await listener(task)
            except Exception:
                log.exception("after a change to task %d", task.id)
        answered.append(task)
    return answered


@dataclass(frozen=True)
class _Completion:
    principal: Principal
    task_id: int
    outcome: CompletedStatus
    result: str | None
    usage: Usage
    attempt: int | None


# A batch's claims and completions: one statement each, a row of parameters per task, built once.
_TAKE = (
    T.update()
    .where(T.c.id == sa.bindparam("claimed_id"))
    .values(
        status=TaskStatus.CLAIMED.value,
        holder_agent_id=sa.bindparam("claimer"),
        attempt=T.c.attempt + 1,
        claimed_at=sa.bindparam("now"),
        lease_expires_at=sa.bindparam("lease"),
        updated_at=sa.bindparam("now"),
    )
)
_FINISH = (
    T.update()
    .where(T.c.id == sa.bindparam("finished_id"))
    .values(
        status=sa.bindparam("new_status"),
        completed_status=sa.bindparam("outcome"),
        result=sa.bindparam("answer"),
        lease_expires_at=None,
        finished_at=sa.bindparam("now"),
        updated_at=sa.bindparam("now"),
        blocked_reason=None,
        progress=sa.bindparam("new_progress"),
        tokens_in=sa.bindparam("new_tokens_in"),
        tokens_out=sa.bindparam("new_tokens_out"),
        cost_usd=sa.bindparam("new_cost"),
        model=sa.bindparam("new_model"),
    )
)

# The team's ready tasks that any of a set of agents may take (`_bound`), best first; built once.
READY_FOR = sa.select(T).where(
    T.c.team_id == sa.bindparam("team_id"),
    T.c.status == TaskStatus.READY.value,
    admitting_clause(T.c.target_kind, T.c.target_name, T.c.target_agent_id),
)
ANY_READY = READY_FOR.with_only_columns(T.c.id).limit(1)
BEST_READY = READY_FOR.order_by(T.c.priority.desc(), T.c.id).limit(sa.bindparam("wanted"))
BEST_READY_NOT_TAKEN = (
    READY_FOR.where(T.c.id.not_in(sa.bindparam("taken", expanding=True))).order_by(T.c.priority.desc(), T.c.id).limit(1)
)


def _bound(team_id: int, agents: Sequence[Agent]) -> dict[str, Any]:
    return {"team_id": team_id, **admitted_agents(agents)}


def _target_of(row: Any) -> tuple[str, str | None, int | None]:
    return row.target_kind, row.target_name, row.target_agent_id


def _claimer(principal: Principal) -> Agent:
    if principal.agent is None:
        raise Forbidden("only agents claim tasks; an admin key is not an agent")
    return principal.agent
