"""What the hub tells the reviewer of a request and the engineer of a verdict, as message bodies."""

from __future__ import annotations

from switchboard.limits import TEXT_MAX_BYTES
from switchboard.messages.models import MessagePriority, MessageType
from switchboard.reviews.models import Comment, MergeNote, Review, Verdict, comment_line


def request_note(review: Review) -> str:
    lines = [
        f'Please review task #{review.task_id} "{review.task_title}": {review.engineer or "its engineer"} did the '
        f"work and {review.requested_by} asks for your review (review #{review.id}).",
    ]
    if review.request_summary:
        lines += ["", "Summary:", review.request_summary]
    lines += [
        "",
        f"Read the change with get_task_diff (task_id {review.task_id}), then answer with submit_review: "
        "verdict approve (the task is done), request_changes (it goes back to the engineer with your comments) "
        "or reject (the task fails), a summary, and concrete comments (file, line, what to change).",
    ]
    return _fit("\n".join(lines), review)


def verdict_note(review: Review, verdict: Verdict, merge: MergeNote | None) -> str:
    """The engineer's news: the verdict, the reviewer's summary and comments, and what to do next."""
    head = f'Task #{review.task_id} "{review.task_title}"'
    by = review.decided_by or "the reviewer"
    if verdict == Verdict.APPROVE and merge is not None and not merge.merged:
        files = f" (conflicting files: {', '.join(merge.files)})" if merge.files else ""
        opening = (
            f"{head} was approved by {by}, but its branch {merge.branch} conflicts with {merge.base_branch}"
            f"{files}: {merge.reason}. The task is yours again (claimed, lease renewed): rebase the branch on "
            f"{merge.base_branch}, resolve the conflicts, commit, and call request_review again."
        )
    elif verdict == Verdict.APPROVE:
        merged = f" Its branch was merged into {merge.base_branch} ({merge.merge_commit})." if merge else ""
        opening = f"{head} was approved by {by} and is done.{merged}"
    elif verdict == Verdict.REQUEST_CHANGES:
        opening = (
            f"{by} requested changes on {head}. The task is yours again (claimed, lease renewed): make the "
            "changes, commit, and call request_review again."
        )
    else:
        opening = f"{head} was rejected by {by} and has failed."
    return _fit("\n".join([opening, *_verdict_details(review.verdict_summary, review.comments)]), review)


def verdict_kind(verdict: Verdict, merge: MergeNote | None) -> tuple[MessageType, MessagePriority]:
    """A verdict that gives the engineer work is a directive; one that only tells the outcome is a result."""
    if verdict == Verdict.REQUEST_CHANGES or (verdict == Verdict.APPROVE and merge is not None and not merge.merged):
        return MessageType.DIRECTIVE, MessagePriority.HIGH
    if verdict == Verdict.REJECT:
        return MessageType.RESULT, MessagePriority.HIGH
    return MessageType.RESULT, MessagePriority.NORMAL


def withdrawn_note(review: Review) -> str:
    return (
        f'Review #{review.id} of task #{review.task_id} "{review.task_title}" is withdrawn: the task ended '
        "without a verdict, so there is nothing to review."
    )


def _verdict_details(summary: str | None, comments: tuple[Comment, ...]) -> list[str]:
    lines = ["", "Summary:", summary] if summary else []
    if comments:
        lines += ["", "Comments:", *(f"- {comment_line(c)}" for c in comments)]
    return lines


def _fit(body: str, review: Review) -> str:
    """Within the message size limit; the review itself keeps everything."""
    if len(body.encode()) <= TEXT_MAX_BYTES:
        return body
    tail = f"\n... (cut: list_reviews with task_id {review.task_id} shows review #{review.id} in full)"
    room = TEXT_MAX_BYTES - len(tail.encode())
    return body.encode()[:room].decode(errors="ignore") + tail
