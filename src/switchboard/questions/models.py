"""Records of people in the loop, and the rules a question's options and answers keep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from switchboard.errors import InvalidInput
from switchboard.limits import SHORT_TEXT_MAX_CHARS, check_chars

OPTIONS_MIN = 2
OPTIONS_MAX = 20
TIMEOUT_MIN_MINUTES = 1
TIMEOUT_MAX_MINUTES = 7 * 24 * 60
TIMEOUT_DEFAULT_MINUTES = 24 * 60
APPROVAL_OPTIONS = ("approve", "reject")


class QuestionKind(StrEnum):
    QUESTION = "question"
    APPROVAL = "approval"
    REVIEW = "review"

    @classmethod
    def parse(cls, raw: str | None) -> QuestionKind:
        text = (raw or "question").strip().lower()
        try:
            return cls(text)
        except ValueError:
            raise InvalidInput(f"unknown kind {raw!r}: question, approval or review", kind=raw) from None


class QuestionStatus(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    EXPIRED = "expired"

    @classmethod
    def parse(cls, raw: str | None) -> QuestionStatus | None:
        """A status filter; None (or `all`) means every status."""
        text = (raw or "").strip().lower()
        if text in ("", "all"):
            return None
        try:
            return cls(text)
        except ValueError:
            raise InvalidInput(f"unknown status {raw!r}: pending, answered, expired or all", status=raw) from None


class AlertPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @classmethod
    def parse(cls, raw: str | None) -> AlertPriority:
        text = (raw or "normal").strip().lower()
        if text == "medium":
            return cls.NORMAL
        try:
            return cls(text)
        except ValueError:
            raise InvalidInput(
                f"unknown priority {raw!r}: low, normal (medium), high or critical", priority=raw
            ) from None


def parse_options(raw: Sequence[str] | None, kind: QuestionKind) -> tuple[str, ...] | None:
    """The choices a person picks from: 2 to 20 distinct non-empty strings, or None for a free answer.

    An approval with no options is answered with approve or reject.
    """
    if raw is None or len(raw) == 0:
        return APPROVAL_OPTIONS if kind == QuestionKind.APPROVAL else None
    if isinstance(raw, str) or not all(isinstance(o, str) for o in raw):
        raise InvalidInput("options must be a list of strings", field="options")
    options = tuple(o.strip() for o in raw)
    if not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
        raise InvalidInput(
            f"give from {OPTIONS_MIN} to {OPTIONS_MAX} options, or none for a free answer; got {len(options)}",
            field="options",
        )
    for option in options:
        if not option:
            raise InvalidInput("options cannot be empty", field="options")
        check_chars("option", option, SHORT_TEXT_MAX_CHARS)
    # Answers match options regardless of case, so options differing only in case could not be told apart.
    folded = [o.casefold() for o in options]
    repeated = sorted({o for o in options if folded.count(o.casefold()) > 1})
    if repeated:
        raise InvalidInput(f"options must be distinct; repeated: {', '.join(repeated)}", field="options")
    return options


def parse_timeout(raw: int | None) -> int:
    if raw is None:
        return TIMEOUT_DEFAULT_MINUTES
    if isinstance(raw, bool) or not isinstance(raw, int) or not TIMEOUT_MIN_MINUTES <= raw <= TIMEOUT_MAX_MINUTES:
        raise InvalidInput(
            f"timeout_minutes must be a whole number from {TIMEOUT_MIN_MINUTES} to {TIMEOUT_MAX_MINUTES} (a week)",
            field="timeout_minutes",
            value=raw,
        )
    return raw


def chosen_option(options: Sequence[str], answer: str) -> str:
    """The option an answer names, in the option's own spelling; anything else is refused."""
    wanted = answer.strip().casefold()
    for option in options:
        if option.casefold() == wanted:
            return option
    raise InvalidInput(
        f"the answer must be one of the options: {', '.join(options)}", answer=answer, options=list(options)
    )


@dataclass(frozen=True)
class Question:
    id: int
    team_id: int
    agent_id: int | None
    asked_by: str
    task_id: int | None
    question: str
    options: tuple[str, ...] | None
    kind: QuestionKind
    status: QuestionStatus
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    expires_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Question:
        return cls(
            id=row.id,
            team_id=row.team_id,
            agent_id=row.agent_id,
            asked_by=row.asked_by,
            task_id=row.task_id,
            question=row.question,
            options=tuple(row.options) if row.options is not None else None,
            kind=QuestionKind(row.kind),
            status=QuestionStatus(row.status),
            answer=row.answer,
            answered_by=row.answered_by,
            answered_at=row.answered_at,
            expires_at=row.expires_at,
            created_at=row.created_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team_id,
            "status": self.status.value,
            "kind": self.kind.value,
            "question": self.question,
            "options": list(self.options) if self.options is not None else None,
            "task_id": self.task_id,
            "asked_by": self.asked_by,
            "agent_id": self.agent_id,
            "answer": self.answer,
            "answered_by": self.answered_by,
            "answered_at": _iso(self.answered_at),
            "expires_at": _iso(self.expires_at),
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True)
class Alert:
    id: int
    team_id: int
    agent_id: int | None
    raised_by: str
    message: str
    priority: AlertPriority
    task_id: int | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @classmethod
    def from_row(cls, row: Any) -> Alert:
        return cls(
            id=row.id,
            team_id=row.team_id,
            agent_id=row.agent_id,
            raised_by=row.raised_by,
            message=row.message,
            priority=AlertPriority(row.priority),
            task_id=row.task_id,
            created_at=row.created_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team_id,
            "priority": self.priority.value,
            "message": self.message,
            "task_id": self.task_id,
            "raised_by": self.raised_by,
            "agent_id": self.agent_id,
            "created_at": _iso(self.created_at),
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
