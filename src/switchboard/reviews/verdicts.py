"""What a verdict does to the task, in the transaction that records it.

approve -> done, as a successful completion (dependents may unblock); request_changes, and an approval whose branch
could not be merged -> claimed again by the engineer with a fresh lease; reject -> failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.reviews.models import MergeNote, Review, Verdict
from switchboard.tasks import records
from switchboard.tasks.models import CompletedStatus, TaskStatus
from switchboard.tasks.records import LockRows

T = records.T
Events = list[tuple[int | None, str, dict[str, Any]]]


def resulting_status(verdict: Verdict, merge: MergeNote | None) -> TaskStatus:
    if verdict == Verdict.REJECT:
        return TaskStatus.FAILED
    if verdict == Verdict.APPROVE and (merge is None or merge.merged):
        return TaskStatus.DONE
    return TaskStatus.CLAIMED


async def apply_verdict(
    conn: AsyncConnection,
    row: Any,
    review: Review,
    verdict: Verdict,
    summary: str | None,
    merge: MergeNote | None,
    now: datetime,
    lock_rows: LockRows,
) -> Events:
    """Move the task (a locked row, in review) where the verdict sends it; the events to record."""
    status = resulting_status(verdict, merge)
    data: dict[str, Any] = {"review_id": review.id, "verdict": verdict.value, "to": status.value}
    if merge is not None:
        data["merge"] = merge.to_json()
    events: Events = [(row.id, "review_submitted", data)]
    if status == TaskStatus.DONE:
        events += await _finish(conn, row, CompletedStatus.SUCCESS, row.result or summary, now)
        unblocked = await records.unblock_dependents(conn, [row.id], now, lock_rows)
        events.extend((i, "unblocked", {"by": row.id}) for i in unblocked)
    elif status == TaskStatus.FAILED:
        reason = summary or f"rejected in review #{review.id}"
        events += await _finish(conn, row, CompletedStatus.FAILED, reason, now)
        await records.explain_blocked_dependents(conn, row.id, f"dependency #{row.id} failed", now)
    else:
        await _back_to_engineer(conn, row, now)
    return events


async def _finish(
    conn: AsyncConnection, row: Any, outcome: CompletedStatus, result: str | None, now: datetime
) -> Events:
    status = outcome.task_status
    await conn.execute(
        T.update()
        .where(T.c.id == row.id)
        .values(
            status=status.value,
            completed_status=outcome.value,
            result=result,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
            blocked_reason=None,
            progress=100 if status == TaskStatus.DONE else row.progress,
        )
    )
    return [(row.id, "completed", {"completed_status": outcome.value, "to": status.value})]


async def _back_to_engineer(conn: AsyncConnection, row: Any, now: datetime) -> None:
    # Same holder and attempt: the engineer's claim resumes, under a fresh lease.
    await conn.execute(
        T.update()
        .where(T.c.id == row.id)
        .values(
            status=TaskStatus.CLAIMED.value,
            lease_expires_at=now + timedelta(seconds=row.lease_seconds),
            updated_at=now,
        )
    )
