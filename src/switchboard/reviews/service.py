"""Reviews: an engineer's claimed task goes to a reviewer, whose verdict finishes it, fails it, or sends it back."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Conflict, Forbidden, InvalidInput
from switchboard.limits import check_bytes
from switchboard.messages.models import MessagePriority, MessageType
from switchboard.messages.records import insert_message
from switchboard.reviews import notes, records
from switchboard.reviews.models import (
    MergeNote,
    Review,
    ReviewOutcome,
    ReviewStatus,
    Verdict,
    checked_comments,
)
from switchboard.reviews.records import RV
from switchboard.reviews.verdicts import apply_verdict
from switchboard.storage import Database
from switchboard.tasks import records as task_records
from switchboard.tasks.claims import ClaimService, ensure_holder, notify
from switchboard.tasks.models import Task, TaskStatus
from switchboard.teams.models import Agent, Principal, Target, TargetKind
from switchboard.teams.service import TeamService
from switchboard.worktrees.service import ApprovalMerge, BranchNotMerged, WorktreeService

T = task_records.T
LIST_LIMIT_MAX = 500


class ReviewService:
    def __init__(
        self, db: Database, clock: Clock, teams: TeamService, claims: ClaimService, worktrees: WorktreeService
    ) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
        self.claims = claims
        self.worktrees = worktrees

    # -- asking for a review ----------------------------------------------------------------------------------

    async def request_review(
        self,
        principal: Principal,
        task_id: int,
        reviewer: str | int | None = None,
        summary: str | None = None,
        attempt: int | None = None,
    ) -> ReviewOutcome:
        """Send a claimed task to review: it waits `in_review` (its lease stopped, its holder kept) while the
        reviewer named, or the fairest agent with role `reviewer`, is asked by message for a verdict."""
        check_bytes("summary", summary)
        now = self.clock()
        async with self.db.write() as conn:
            row = await task_records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            await _ensure_reviewable(conn, row)
            ensure_holder(row, principal, attempt, now, allow_steward=True)
            chosen = await self._reviewer_for(conn, principal, row, reviewer, now)
            # Left from a round that ended without a verdict (the task was cancelled and retried, say).
            await records.withdraw_pending(conn, task_id, now)
            await conn.execute(
                T.update()
                .where(T.c.id == task_id)
                .values(status=TaskStatus.IN_REVIEW.value, lease_expires_at=None, updated_at=now)
            )
            review_id = await records.insert_review(
                conn, task_row=row, reviewer_agent_id=chosen.id, requested_by=principal.actor, summary=summary, now=now
            )
            review = await records.require_review(conn, review_id)
            data = {"review_id": review_id, "reviewer": chosen.name, "engineer": review.engineer, "to": "in_review"}
            await task_records.append_events(
                conn, row.team_id, principal.actor, now, [(task_id, "review_requested", data)]
            )
            body = notes.request_note(review)
            kind = (MessageType.DIRECTIVE, MessagePriority.HIGH)
            await _send(conn, principal, review, (chosen.id, chosen.name), body, kind, now)
            return ReviewOutcome(review, await task_records.require_task(conn, task_id))

    async def _reviewer_for(
        self, conn: AsyncConnection, principal: Principal, row: Any, named: str | int | None, now: datetime
    ) -> Agent:
        if named is not None and str(named).strip():
            agent = await self.teams.find_agent(conn, row.team_id, str(named).strip())
            if agent is None:
                raise InvalidInput(
                    f"unknown reviewer {named!r}: no agent of this team has that name or id", reviewer=named
                )
            if agent.id == row.holder_agent_id:
                raise InvalidInput(
                    f"{agent.name} did the work on task {row.id}; name another agent to review it", reviewer=named
                )
            return agent
        team = await self.teams.get_team(principal, row.team_id, conn)
        found = await records.choose_reviewer(
            conn, row.team_id, row.holder_agent_id, now, team.settings.offline_after_seconds
        )
        if found is None:
            raise Conflict(
                f"nobody can review task {row.id}: the team has no other agent with role `reviewer`; "
                "name a reviewer or add an agent with that role",
                task_id=row.id,
            )
        return found

    # -- the verdict ------------------------------------------------------------------------------------------

    async def submit_review(
        self,
        principal: Principal,
        task_id: int,
        verdict: str,
        summary: str | None = None,
        comments: list[Any] | None = None,
    ) -> ReviewOutcome:
        """Give the pending review of a task its verdict: approve -> done (its branch merged first when the
        repository asks for that), request_changes -> back to the engineer, reject -> failed.

        Of verdicts given at once exactly one is kept; the others are refused (conflict) and change nothing.
        """
        chosen = Verdict.parse(verdict)
        check_bytes("summary", summary)
        checked = checked_comments(comments)
        if chosen == Verdict.APPROVE:
            # The branch is merged while the task's row is locked, in the transaction recording the approval:
            # it is merged exactly when that approval commits, never for a verdict that lost a race.
            async with self.worktrees.approval_merge(task_id) as merge:
                outcome = await self._decide(principal, task_id, chosen, summary, checked, merge)
        else:
            outcome = await self._decide(principal, task_id, chosen, summary, checked, None)
        if outcome.task.status.is_terminal:
            outcome = replace(outcome, task=(await notify(self.claims.on_finished, [outcome.task]))[0])
        return outcome

    async def _decide(
        self,
        principal: Principal,
        task_id: int,
        verdict: Verdict,
        summary: str | None,
        comments: list[Any],
        merge: ApprovalMerge | None,
    ) -> ReviewOutcome:
        now = self.clock()
        async with self.db.write() as conn:
            row = await task_records.load_visible_row(conn, task_id, principal, self.db.lock_rows)
            pending = await _pending_review_of(conn, row)
            _ensure_reviewer(principal, pending)
            status = verdict.review_status
            if not await records.decide(conn, pending.id, status, summary, comments, principal.actor, now):
                raise Conflict(f"review #{pending.id} of task {task_id} already has a verdict", review_id=pending.id)
            note = await _merged(conn, merge, row.title, principal.actor) if merge is not None else None
            events = await apply_verdict(conn, row, pending, verdict, summary, note, now, self.db.lock_rows)
            await task_records.append_events(conn, row.team_id, principal.actor, now, events)
            review = await records.require_review(conn, pending.id)
            if review.engineer_agent_id is not None:
                engineer = (review.engineer_agent_id, review.engineer)
                body = notes.verdict_note(review, verdict, note)
                await _send(conn, principal, review, engineer, body, notes.verdict_kind(verdict, note), now)
            return ReviewOutcome(review, await task_records.require_task(conn, task_id), note)

    # -- reading ----------------------------------------------------------------------------------------------

    async def reviews_of_task(self, principal: Principal, task_id: int) -> list[Review]:
        """Every review of a task, oldest first: its review history."""
        async with self.db.read() as conn:
            await task_records.load_visible_row(conn, task_id, principal)
            return await records.fetch_reviews(conn, RV.c.task_id == task_id)

    async def list_reviews(
        self,
        principal: Principal,
        team_id: int,
        status: str | None = None,
        reviewer: str | int | None = None,
        limit: int = 100,
    ) -> list[Review]:
        """The team's reviews with `status` (all when None), assigned to `reviewer` (anyone when None).

        Pending ones come oldest first, the order to work through them; others newest first.
        """
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise InvalidInput(f"limit must be between 1 and {LIST_LIMIT_MAX}", limit=limit)
        wanted = ReviewStatus.parse(status)
        async with self.db.read() as conn:
            team = await self.teams.get_team(principal, team_id, conn)
            where = [RV.c.team_id == team.id]
            if wanted is not None:
                where.append(RV.c.status == wanted.value)
            if reviewer is not None:
                agent = await self.teams.find_agent(conn, team.id, reviewer)
                if agent is None:
                    raise InvalidInput(f"unknown reviewer {reviewer!r}: no agent of this team", reviewer=reviewer)
                where.append(RV.c.reviewer_agent_id == agent.id)
            order = RV.c.id if wanted == ReviewStatus.PENDING else RV.c.id.desc()
            return await records.fetch_reviews(conn, sa.and_(*where), (order,), limit)

    # -- a task that ends without a verdict -------------------------------------------------------------------

    async def withdraw_pending(self, task: Task) -> Task:
        """A task listener: when a task in review ends another way (cancelled, or completed by a manager), its
        pending review is withdrawn and the reviewer told there is nothing left to review."""
        if not task.status.is_terminal:
            return task
        async with self.db.read() as conn:
            if await records.pending_review(conn, task.id) is None:
                return task
        now = self.clock()
        async with self.db.write() as conn:
            for review in await records.withdraw_pending(conn, task.id, now):
                data = {"review_id": review.id, "reviewer": review.reviewer}
                await task_records.append_events(
                    conn, task.team_id, records.HUB_ACTOR, now, [(task.id, "review_withdrawn", data)]
                )
                if review.reviewer_agent_id is not None:
                    reviewer = (review.reviewer_agent_id, review.reviewer)
                    kind = (MessageType.STATUS, MessagePriority.NORMAL)
                    await _send(conn, None, review, reviewer, notes.withdrawn_note(review), kind, now)
        return task


async def _ensure_reviewable(conn: AsyncConnection, row: Any) -> None:
    if row.status == TaskStatus.IN_REVIEW.value:
        pending = await records.pending_review(conn, row.id)
        who = f" by {pending.reviewer} (review #{pending.id})" if pending is not None else ""
        raise Conflict(f"task {row.id} is already in review{who}; wait for the verdict", status=row.status)
    if row.status != TaskStatus.CLAIMED.value:
        raise Conflict(f"task {row.id} is {row.status}; only a claimed task can be sent to review", status=row.status)


async def _pending_review_of(conn: AsyncConnection, row: Any) -> Review:
    pending = await records.pending_review(conn, row.id) if row.status == TaskStatus.IN_REVIEW.value else None
    if pending is not None:
        return pending
    latest = await records.fetch_reviews(conn, RV.c.task_id == row.id, (RV.c.id.desc(),), 1)
    if latest and latest[0].status != ReviewStatus.WITHDRAWN:
        done = latest[0]
        raise Conflict(
            f"review #{done.id} of task {row.id} already has its verdict ({done.status.value} by {done.decided_by}); "
            f"the task is {row.status}",
            review_id=done.id,
            review_status=done.status.value,
            status=row.status,
        )
    raise Conflict(
        f"task {row.id} is {row.status} with no review waiting for a verdict; the engineer calls request_review first",
        status=row.status,
    )


def _ensure_reviewer(principal: Principal, review: Review) -> None:
    agent = principal.agent
    if agent is None or agent.is_manager or agent.id == review.reviewer_agent_id:
        return
    raise Forbidden(
        f"review #{review.id} of task {review.task_id} is assigned to {review.reviewer}; only that reviewer, "
        "a manager or an admin gives the verdict",
        reviewer=review.reviewer,
    )


async def _send(
    conn: AsyncConnection,
    sender: Principal | None,
    review: Review,
    to: tuple[int, str | None],
    body: str,
    kind: tuple[MessageType, MessagePriority],
    now: datetime,
) -> None:
    """A message about the review, linked to its task, from `sender` (None: the hub) to one agent."""
    agent_id, name = to
    await insert_message(
        conn,
        team_id=review.team_id,
        sender=sender.actor if sender is not None else records.HUB_ACTOR,
        sender_agent_id=sender.agent.id if sender is not None and sender.agent is not None else None,
        target=Target(TargetKind.AGENT, name, agent_id),
        recipient_ids=[agent_id],
        body=body,
        message_type=kind[0],
        priority=kind[1],
        now=now,
        task_id=review.task_id,
    )


async def _merged(conn: AsyncConnection, merge: ApprovalMerge, title: str, actor: str) -> MergeNote:
    try:
        commit = await merge.run(conn, title, actor)
    except BranchNotMerged as exc:
        return MergeNote(merge.branch, merge.base_branch, reason=exc.reason, files=tuple(exc.files))
    return MergeNote(merge.branch, merge.base_branch, merge_commit=commit)
