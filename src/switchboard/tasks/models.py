"""Records and inputs of the tasks domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from switchboard.errors import InvalidInput


class TaskStatus(StrEnum):
    BLOCKED = "blocked"
    READY = "ready"
    CLAIMED = "claimed"
    IN_REVIEW = "in_review"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.CANCELLED})
OPEN = frozenset(TaskStatus) - TERMINAL

# The seeds' names for statuses, accepted wherever a status is given.
STATUS_ALIASES: dict[str, frozenset[TaskStatus]] = {
    "created": frozenset({TaskStatus.BLOCKED, TaskStatus.READY}),
    "todo": frozenset({TaskStatus.BLOCKED, TaskStatus.READY}),
    "pending": frozenset({TaskStatus.BLOCKED, TaskStatus.READY}),
    "active": frozenset({TaskStatus.CLAIMED}),
    "in_progress": frozenset({TaskStatus.CLAIMED}),
    "completed": frozenset({TaskStatus.DONE}),
    "open": OPEN,
    "terminal": TERMINAL,
}


def parse_statuses(raw: str | list[str] | None) -> frozenset[TaskStatus] | None:
    """`"created"`, `"ready,claimed"` or `["done", "failed"]` into the statuses they mean."""
    if raw is None or raw == "" or raw == []:
        return None
    names = raw.split(",") if isinstance(raw, str) else raw
    statuses: set[TaskStatus] = set()
    for name in (n.strip().lower() for n in names):
        if name in STATUS_ALIASES:
            statuses |= STATUS_ALIASES[name]
        elif name in TaskStatus.__members__.values():
            statuses.add(TaskStatus(name))
        else:
            allowed = sorted({*TaskStatus.__members__.values(), *STATUS_ALIASES})
            raise InvalidInput(f"unknown status {name!r}; use one of: {', '.join(allowed)}", status=name)
    return frozenset(statuses)


class Priority(IntEnum):
    LOW = 0
    NORMAL = 1
    HIGH = 2
    CRITICAL = 3

    @classmethod
    def parse(cls, raw: str | int | None) -> Priority:
        if raw is None:
            return cls.NORMAL
        text = str(raw).strip().lower()
        if text == "medium":
            return cls.NORMAL
        for member in cls:
            if text in (member.name.lower(), str(member.value)):
                return member
        raise InvalidInput(f"unknown priority {raw!r}; use low, normal (medium), high or critical", priority=raw)


class CompletedStatus(StrEnum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"

    @classmethod
    def parse(cls, raw: str | None) -> CompletedStatus:
        text = (raw or "SUCCESS").strip().upper()
        if text in cls.__members__:
            return cls(text)
        raise InvalidInput(f"unknown completed_status {raw!r}; use SUCCESS, FAILED, SKIPPED or CANCELLED", status=raw)

    @property
    def task_status(self) -> TaskStatus:
        return {
            CompletedStatus.SUCCESS: TaskStatus.DONE,
            CompletedStatus.SKIPPED: TaskStatus.DONE,
            CompletedStatus.FAILED: TaskStatus.FAILED,
            CompletedStatus.CANCELLED: TaskStatus.CANCELLED,
        }[self]


class TaskDraft(BaseModel):
    """What a caller gives to create a task; Entourage's names (`description`, `assignee_id`) are accepted."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: str
    instructions: str = Field("", validation_alias=AliasChoices("instructions", "description"))
    priority: str | int = "normal"
    target: str | int | None = Field(None, validation_alias=AliasChoices("target", "assignee_id", "assignee"))
    task_type: str | None = None
    depends_on: list[int | str] = Field(
        default_factory=list, validation_alias=AliasChoices("depends_on", "dependencies")
    )
    parent_id: int | str | None = None
    tags: list[str] = Field(default_factory=list)
    lease_seconds: int | None = None
    max_attempts: int | None = None
    ref: str | None = Field(None, description="A name other items of the same batch use in depends_on or parent_id.")


@dataclass(frozen=True)
class Usage:
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    model: str | None = None


@dataclass(frozen=True)
class Task:
    id: int
    team_id: int
    title: str
    instructions: str
    task_type: str | None
    priority: Priority
    status: TaskStatus
    target: str | None
    target_kind: str
    created_by: str
    parent_id: int | None
    holder: str | None
    holder_agent_id: int | None
    attempt: int
    max_attempts: int
    lease_seconds: int
    lease_expires_at: datetime | None
    progress: int | None
    current_action: str | None
    blocked_reason: str | None
    tags: tuple[str, ...]
    result: str | None
    completed_status: str | None
    usage: Usage
    created_at: datetime
    updated_at: datetime
    claimed_at: datetime | None
    finished_at: datetime | None
    depends_on: tuple[int, ...] = ()
    sprint_id: int | None = None
    story_id: str | None = None
    worktree: str | None = None  # the path of the task's live git worktree, when its team has a repository

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team_id,
            "title": self.title,
            "instructions": self.instructions,
            "task_type": self.task_type,
            "priority": self.priority.name.lower(),
            "status": self.status.value,
            "target": self.target,
            "target_kind": self.target_kind,
            "created_by": self.created_by,
            "parent_id": self.parent_id,
            "holder": self.holder,
            "holder_agent_id": self.holder_agent_id,
            "attempt": self.attempt,
            "max_attempts": self.max_attempts,
            "lease_seconds": self.lease_seconds,
            "lease_expires_at": _iso(self.lease_expires_at),
            "progress": self.progress,
            "current_action": self.current_action,
            "blocked_reason": self.blocked_reason,
            "tags": list(self.tags),
            "depends_on": list(self.depends_on),
            "sprint_id": self.sprint_id,
            "story_id": self.story_id,
            "worktree": self.worktree,
            "result": self.result,
            "completed_status": self.completed_status,
            "usage": {
                "tokens_in": self.usage.tokens_in,
                "tokens_out": self.usage.tokens_out,
                "cost_usd": self.usage.cost_usd,
                "model": self.usage.model,
            },
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "claimed_at": _iso(self.claimed_at),
            "finished_at": _iso(self.finished_at),
        }


@dataclass(frozen=True)
class TaskDetail:
    """A task with what surrounds it: who depends on it, and its sub-tasks with their progress."""

    task: Task
    dependents: tuple[int, ...]
    subtasks: tuple[Task, ...]

    def to_json(self) -> dict[str, Any]:
        data = self.task.to_json()
        data["dependents"] = list(self.dependents)
        if self.subtasks:
            done = sum(1 for t in self.subtasks if t.status == TaskStatus.DONE)
            data["subtasks"] = [
                {"id": t.id, "title": t.title, "status": t.status.value, "progress": t.progress, "holder": t.holder}
                for t in self.subtasks
            ]
            data["subtask_progress"] = {
                "total": len(self.subtasks),
                "done": done,
                "percent_done": round(100 * done / len(self.subtasks), 1),
            }
        return data


@dataclass(frozen=True)
class TaskEvent:
    id: int
    task_id: int | None
    kind: str
    actor: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task_id": self.task_id,
            "kind": self.kind,
            "actor": self.actor,
            "at": _iso(self.at),
            "data": self.data,
        }


@dataclass(frozen=True)
class TaskPage:
    items: tuple[Task, ...]
    next_cursor: int | None


@dataclass(frozen=True)
class SweepResult:
    returned: tuple[int, ...]
    failed: tuple[int, ...]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
