"""Records of the teams domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Org:
    id: int
    name: str
    slug: str
    created_at: datetime


@dataclass(frozen=True)
class TeamSettings:
    lease_seconds: int = 1800
    max_attempts: int = 3
    daily_cost_limit_usd: float | None = None
    max_concurrent_agents: int | None = None
    default_model: str | None = None
    # Presence: an agent silent this long is offline; a working session silent this long is closed.
    offline_after_seconds: int = 600
    session_timeout_seconds: int = 3600
    # Whether the team's managers may answer agents' questions in place of a person.
    managers_answer_questions: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TeamSettings:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Team:
    id: int
    org_id: int
    name: str
    slug: str
    settings: TeamSettings
    created_at: datetime


class AgentStatus(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    OFFLINE = "offline"

    @classmethod
    def of(
        cls, active_tasks: int, last_seen_at: datetime | None, now: datetime, offline_after_seconds: int
    ) -> AgentStatus:
        """Silent past `offline_after_seconds` is offline, even holding claims (their leases will run out);
        otherwise busy while it holds a claim, else idle."""
        if last_seen_at is None or (now - last_seen_at).total_seconds() > offline_after_seconds:
            return cls.OFFLINE
        return cls.BUSY if active_tasks else cls.IDLE


@dataclass(frozen=True)
class Agent:
    id: int
    team_id: int
    name: str
    role: str
    model: str | None
    description: str | None
    config: dict[str, Any]
    created_at: datetime
    last_seen_at: datetime | None
    groups: tuple[str, ...] = ()

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


@dataclass(frozen=True)
class AgentView:
    """An agent as `list_team_agents` shows it: identity plus what it is doing now."""

    agent: Agent
    status: AgentStatus
    active_task_count: int
    runner: str | None


@dataclass(frozen=True)
class Group:
    id: int
    team_id: int
    name: str
    description: str | None
    members: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ApiKey:
    id: int
    org_id: int
    agent_id: int | None
    label: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def kind(self) -> str:
        return "agent" if self.agent_id is not None else "admin"


@dataclass(frozen=True)
class IssuedKey:
    """A key just created: the only time its plaintext exists."""

    key: ApiKey
    plaintext: str
    agent: Agent | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: an agent (through its key) or a person holding an org's admin key."""

    key_id: int
    org_id: int
    agent: Agent | None

    @property
    def is_admin(self) -> bool:
        return self.agent is None

    @property
    def role(self) -> str:
        return "admin" if self.agent is None else self.agent.role

    @property
    def actor(self) -> str:
        """How events and records name this caller."""
        return f"admin:key-{self.key_id}" if self.agent is None else self.agent.name


class TargetKind(StrEnum):
    NONE = "none"
    AGENT = "agent"
    GROUP = "group"
    ROLE = "role"
    ALL = "all"


@dataclass(frozen=True)
class Target:
    """Whom a task or message is aimed at. `name` is the agent, group or role name."""

    kind: TargetKind
    name: str | None = None
    agent_id: int | None = None

    @property
    def label(self) -> str | None:
        match self.kind:
            case TargetKind.NONE:
                return None
            case TargetKind.ROLE:
                return f"@{self.name}"
            case _:
                return self.name
