"""Records of the messages domain."""

from __future__ import annotations

from enum import IntEnum, StrEnum

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
