"""Webhooks and their deliveries, and the event names a webhook subscribes to."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from switchboard.errors import InvalidInput

ALL_EVENTS = "*"
URL_MAX_CHARS = 2000


def _task_outcome(data: Mapping[str, Any]) -> str | None:
    to = data.get("to")
    return f"task.{to}" if to in ("done", "failed", "cancelled") else None


def _lease_outcome(data: Mapping[str, Any]) -> str | None:
    # A lost lease that used up the task's attempts fails it; one that returns it to ready is no outcome.
    return "task.failed" if data.get("to") == "failed" else None


# Each stored event kind and the public event name it is sent as (None: not sent).
_NAMES: dict[str, Any] = {
    "created": "task.created",
    "claimed": "task.claimed",
    "completed": _task_outcome,
    "lease_expired": _lease_outcome,
    "cancelled": "task.cancelled",
    "question_asked": "question.asked",
    "question_answered": "question.answered",
    "alert": "alert",
    "sprint_completed": "sprint.completed",
    "message_sent": "message.sent",
    "webhook_disabled": "webhook.disabled",
}

EVENT_NAMES: tuple[str, ...] = (
    "task.created",
    "task.claimed",
    "task.done",
    "task.failed",
    "task.cancelled",
    "question.asked",
    "question.answered",
    "alert",
    "sprint.completed",
    "message.sent",
    "webhook.disabled",
)


def event_name(kind: str, data: Mapping[str, Any]) -> str | None:
    """The public name a stored event is sent under, or None when webhooks never carry it."""
    name = _NAMES.get(kind)
    return name(data) if callable(name) else name


def stored_kinds(names: Collection[str]) -> list[str]:
    """The stored event kinds that can turn into one of `names`."""
    wanted = set(EVENT_NAMES if ALL_EVENTS in names else names)
    kinds = []
    for kind, name in _NAMES.items():
        produced = {name} if isinstance(name, str) else {"task.done", "task.failed", "task.cancelled"}
        if produced & wanted:
            kinds.append(kind)
    return kinds


def parse_events(events: Sequence[str] | str | None) -> list[str]:
    """Validated, de-duplicated event names in the order given; `*` stands for every event."""
    if isinstance(events, str):
        events = [e.strip() for e in events.split(",") if e.strip()]
    if not events:
        raise InvalidInput(f"name at least one event: {', '.join(EVENT_NAMES)}, or * for all", field="events")
    chosen: list[str] = []
    for name in events:
        if not isinstance(name, str) or (name != ALL_EVENTS and name not in EVENT_NAMES):
            raise InvalidInput(
                f"unknown event {name!r}: one of {', '.join(EVENT_NAMES)}, or * for all", field="events", event=name
            )
        if name not in chosen:
            chosen.append(name)
    return [ALL_EVENTS] if ALL_EVENTS in chosen else chosen


def parse_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("url is required", field="url")
    clean: str = url.strip()
    if len(clean) > URL_MAX_CHARS:
        raise InvalidInput(f"url is longer than {URL_MAX_CHARS} characters", field="url")
    parts = urlsplit(clean)
    try:
        parts.port  # noqa: B018 - reading it checks the port is a number in range
    except ValueError:
        raise InvalidInput(f"url has an invalid port: {clean!r}", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url must be an http:// or https:// address with a host, not {clean!r}", field="url")
    return clean


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"

    @classmethod
    def parse(cls, raw: str | None) -> DeliveryStatus | None:
        if raw is None or raw == "all":
            return None
        try:
            return cls(raw)
        except ValueError:
            raise InvalidInput(f"unknown status {raw!r}: pending, delivered, failed or all", status=raw) from None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Webhook:
    id: int
    team_id: int
    url: str
    events: tuple[str, ...]
    active: bool
    consecutive_failures: int
    disabled_reason: str | None
    disabled_at: datetime | None
    created_by: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Webhook:
        return cls(
            id=row.id,
            team_id=row.team_id,
            url=row.url,
            events=tuple(row.events),
            active=row.active,
            consecutive_failures=row.consecutive_failures,
            disabled_reason=row.disabled_reason,
            disabled_at=row.disabled_at,
            created_by=row.created_by,
            created_at=row.created_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team_id,
            "url": self.url,
            "events": list(self.events),
            "active": self.active,
            "consecutive_failures": self.consecutive_failures,
            "disabled_reason": self.disabled_reason,
            "disabled_at": _iso(self.disabled_at),
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True)
class NewWebhook:
    """A webhook just registered, with its signing secret: shown this once."""

    webhook: Webhook
    secret: str

    def to_json(self) -> dict[str, Any]:
        return {**self.webhook.to_json(), "secret": self.secret}


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: int
    event_id: int
    event: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        return cls(
            id=row.id,
            webhook_id=row.webhook_id,
            event_id=row.event_id,
            event=row.kind,
            payload=dict(row.payload),
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "event": self.event,
            "status": self.status.value,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at) if self.status == DeliveryStatus.PENDING else None,
            "last_status_code": self.last_status_code,
            "last_error": self.last_error,
            "created_at": _iso(self.created_at),
            "delivered_at": _iso(self.delivered_at),
            "payload": self.payload,
        }
