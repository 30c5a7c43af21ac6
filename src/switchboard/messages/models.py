"""Records of the messages domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from switchboard.errors import InvalidInput


class MessageType(StrEnum):
    STATUS = "STATUS"
    DIRECTIVE = "DIRECTIVE"
    QUESTION = "QUESTION"
    RESULT = "RESULT"
    ACK = "ACK"
    PING = "PING"
    PONG = "PONG"
    QUERY = "QUERY"
    HANDSHAKE = "HANDSHAKE"

    @classmethod
    def parse(cls, raw: str | None) -> MessageType:
        if raw is None or raw == "":
            return cls.STATUS
        try:
            return cls(raw.strip().upper())
        except ValueError:
            raise InvalidInput(
                f"unknown message_type {raw!r}: one of {', '.join(t.value for t in cls)}", message_type=raw
            ) from None


class MessagePriority(IntEnum):
    LOW = 0
    NORMAL = 1
    HIGH = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, raw: str | int | None) -> MessagePriority:
        if raw is None or raw == "":
            return cls.NORMAL
        if isinstance(raw, int) and not isinstance(raw, bool) and raw in (0, 1, 2):
            return cls(raw)
        text = str(raw).strip().lower()
        aliases = {"low": cls.LOW, "normal": cls.NORMAL, "medium": cls.NORMAL, "high": cls.HIGH, "urgent": cls.HIGH}
        if text in aliases:
            return aliases[text]
        raise InvalidInput(f"unknown priority {raw!r}: low, normal or high", priority=raw)


class MessageDraft(BaseModel):
    """What a caller gives to send a message; the seeds' names (`body`, `recipient_id`, `sender_id`) are accepted."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    target: str | int | None = Field(
        None,
        validation_alias=AliasChoices("target", "recipient_id", "recipient"),
        description="An agent (name or id), a group (`builders`), a role (`@engineer`) or `all`.",
    )
    message: str | None = Field(None, validation_alias=AliasChoices("message", "body"))
    message_type: str | None = None
    priority: str | int | None = None
    source: str | int | None = Field(
        None,
        validation_alias=AliasChoices("source", "sender_id", "sender"),
        description="Optional; if given it must name the caller (no one sends as someone else).",
    )
    thread_id: int | None = None
    reply_to: int | None = None
    task_id: int | None = None


@dataclass(frozen=True)
class InboxQuery:
    """What `get_messages` reads: unread messages first (and read ones after them with `include_read`)."""

    limit: int = 50
    include_read: bool = False
    mark_as_read: bool = True
    message_type: str | None = None
    priority: str | int | None = None


@dataclass(frozen=True)
class HistoryQuery:
    thread_id: int | None = None
    peer: str | int | None = None
    message_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_id: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class Receipt:
    """One recipient's delivery of a message and when it read it."""

    agent: str
    agent_id: int
    read_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "agent_id": self.agent_id, "read_at": _iso(self.read_at)}


@dataclass(frozen=True)
class Message:
    """A message as one viewer sees it: `read_at` is the viewer's own read state (null if unread or not theirs)."""

    id: int
    team_id: int
    sender: str
    sender_agent_id: int | None
    target: str | None
    target_kind: str
    recipients: int
    message_type: MessageType
    priority: MessagePriority
    body: str
    thread_id: int | None
    reply_to: int | None
    task_id: int | None
    created_at: datetime
    read_at: datetime | None = None
    read_count: int | None = None
    receipts: tuple[Receipt, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "sender": self.sender,
            "sender_agent_id": self.sender_agent_id,
            "target": self.target,
            "target_kind": self.target_kind,
            "recipients": self.recipients,
            "message_type": self.message_type.value,
            "priority": self.priority.label,
            "body": self.body,
            "thread_id": self.thread_id,
            "reply_to": self.reply_to,
            "task_id": self.task_id,
            "created_at": _iso(self.created_at),
            "read_at": _iso(self.read_at),
        }
        if self.read_count is not None:
            data["read_count"] = self.read_count
        if self.receipts is not None:
            data["receipts"] = [r.to_json() for r in self.receipts]
        return data


@dataclass(frozen=True)
class Inbox:
    messages: tuple[Message, ...]
    unread_remaining: int

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": [m.to_json() for m in self.messages],
            "count": len(self.messages),
            "unread_remaining": self.unread_remaining,
        }


@dataclass(frozen=True)
class MessagePage:
    items: tuple[Message, ...]
    next_cursor: int | None

    def to_json(self) -> dict[str, Any]:
        return {"messages": [m.to_json() for m in self.items], "next_cursor": self.next_cursor}


@dataclass(frozen=True)
class ReadReceipt:
    """What `mark_read` did: every id is the caller's; `newly_read` were unread until now."""

    message_ids: tuple[int, ...]
    newly_read: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"message_ids": list(self.message_ids), "newly_read": list(self.newly_read)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
