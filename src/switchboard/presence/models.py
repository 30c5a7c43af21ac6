"""Records of presence: an agent's sign of life, and its working sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from switchboard.teams.models import AgentStatus


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class AgentPresence:
    """What a heartbeat without a task answers: the agent is alive, and idle or busy."""

    agent_id: int
    agent: str
    status: AgentStatus
    active_task_count: int
    last_seen_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "agent_id": self.agent_id,
            "status": self.status.value,
            "active_task_count": self.active_task_count,
            "last_seen_at": _iso(self.last_seen_at),
        }


class SessionStatus(StrEnum):
    RUNNING = "running"
    IDLE = "idle"
    BLOCKED = "blocked"
    DONE = "done"
    CLOSED = "closed"

    @property
    def ends_session(self) -> bool:
        return self in (SessionStatus.DONE, SessionStatus.CLOSED)


@dataclass(frozen=True)
class Session:
    """One working session of an agent (CacheBash's pulse): how far along it is and what it is doing."""

    id: int
    team_id: int
    agent_id: int
    agent: str
    session_id: str
    status: str
    progress: int | None
    current_action: str | None
    state: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    updated_at: datetime | None = None
    ended_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "session_id": self.session_id,
            "team_id": self.team_id,
            "agent": self.agent,
            "agent_id": self.agent_id,
            "status": self.status,
            "progress": self.progress,
            "current_action": self.current_action,
            "state": self.state,
            "started_at": _iso(self.started_at),
            "updated_at": _iso(self.updated_at),
            "ended_at": _iso(self.ended_at),
        }
