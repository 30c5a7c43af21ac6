"""Records of the reviews domain: a review of a task, its verdict, and the comments that come with it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from switchboard.errors import InvalidInput
from switchboard.limits import TEXT_MAX_BYTES, check_bytes
from switchboard.tasks.models import Task

COMMENTS_MAX = 200
Comment = str | dict[str, Any]


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the task ended another way (cancelled, completed by a manager) before a verdict

    @classmethod
    def parse(cls, raw: str | None) -> ReviewStatus | None:
        """A status filter; None (or `all`) means every status."""
        text = (raw or "").strip().lower()
        if text in ("", "all"):
            return None
        try:
            return cls(text)
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise InvalidInput(f"unknown review status {raw!r}: {allowed} or all", status=raw) from None


class Verdict(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"

    @classmethod
    def parse(cls, raw: str | None) -> Verdict:
        text = (raw or "").strip().lower().replace("-", "_").replace(" ", "_")
        found = _VERDICT_NAMES.get(text)
        if found is None:
            raise InvalidInput(f"unknown verdict {raw!r}: approve, request_changes or reject", verdict=raw)
        return found

    @property
    def review_status(self) -> ReviewStatus:
        return {
            Verdict.APPROVE: ReviewStatus.APPROVED,
            Verdict.REQUEST_CHANGES: ReviewStatus.CHANGES_REQUESTED,
            Verdict.REJECT: ReviewStatus.REJECTED,
        }[self]


_VERDICT_NAMES = {
    "approve": Verdict.APPROVE,
    "approved": Verdict.APPROVE,
    "request_changes": Verdict.REQUEST_CHANGES,
    "changes_requested": Verdict.REQUEST_CHANGES,
    "reject": Verdict.REJECT,
    "rejected": Verdict.REJECT,
}


def checked_comments(comments: list[Any] | None) -> list[Comment]:
    """Review comments as given: each a string or an object such as {"file", "line", "body"}, within the limits."""
    if comments is None:
        return []
    if not isinstance(comments, list):
        raise InvalidInput("comments must be a list of strings or objects", field="comments")
    if len(comments) > COMMENTS_MAX:
        raise InvalidInput(f"{len(comments)} comments; at most {COMMENTS_MAX}", field="comments", limit=COMMENTS_MAX)
    for comment in comments:
        if not isinstance(comment, str | dict):
            raise InvalidInput("each comment is a string or an object like {file, line, body}", field="comments")
    try:
        encoded = json.dumps(comments)
    except (TypeError, ValueError):
        raise InvalidInput("comments must be plain JSON: strings, numbers and objects", field="comments") from None
    check_bytes("comments", encoded, TEXT_MAX_BYTES)
    return list(comments)


def comment_line(comment: Comment) -> str:
    """One comment as a line of a message: `file:line: body` when it says where."""
    if isinstance(comment, str):
        return comment
    place = ":".join(str(comment[k]) for k in ("file", "line") if comment.get(k) not in (None, ""))
    body = comment.get("body")
    text = (
        body if isinstance(body, str) else json.dumps({k: v for k, v in comment.items() if k not in ("file", "line")})
    )
    return f"{place}: {text}" if place else text


@dataclass(frozen=True)
class Review:
    id: int
    team_id: int
    task_id: int
    task_title: str
    engineer: str | None
    engineer_agent_id: int | None
    reviewer: str | None
    reviewer_agent_id: int | None
    requested_by: str
    request_summary: str | None
    status: ReviewStatus
    verdict_summary: str | None
    comments: tuple[Comment, ...]
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team_id,
            "task_id": self.task_id,
            "task_title": self.task_title,
            "engineer": self.engineer,
            "engineer_agent_id": self.engineer_agent_id,
            "reviewer": self.reviewer,
            "reviewer_agent_id": self.reviewer_agent_id,
            "requested_by": self.requested_by,
            "request_summary": self.request_summary,
            "status": self.status.value,
            "verdict_summary": self.verdict_summary,
            "comments": list(self.comments),
            "decided_by": self.decided_by,
            "created_at": self.created_at.isoformat(),
            "decided_at": self.decided_at.isoformat() if self.decided_at is not None else None,
        }


@dataclass(frozen=True)
class MergeNote:
    """What an approval did with the task's branch, when its repository merges on approval."""

    branch: str
    base_branch: str
    merge_commit: str | None = None  # set when merged
    reason: str | None = None  # why it was not merged
    files: tuple[str, ...] = field(default=())

    @property
    def merged(self) -> bool:
        return self.merge_commit is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"merged": self.merged, "branch": self.branch, "base_branch": self.base_branch}
        if self.merged:
            data["merge_commit"] = self.merge_commit
        else:
            data |= {"reason": self.reason, "conflicting_files": list(self.files)}
        return data


@dataclass(frozen=True)
class ReviewOutcome:
    """A review request or verdict: the review and the task as they are afterwards."""

    review: Review
    task: Task
    merge: MergeNote | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"review": self.review.to_json(), "task": self.task.to_json()}
        if self.merge is not None:
            data["merge"] = self.merge.to_json()
        return data
