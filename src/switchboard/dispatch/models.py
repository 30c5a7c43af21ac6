"""Records of the dispatcher: runner settings, triggers and turns."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from switchboard.errors import InvalidInput

# Placeholders a command line may use; each is replaced inside one argument, never by the shell.
PLACEHOLDERS = ("prompt_file", "hub_url", "mcp_url", "task_id", "agent", "team_id", "turn_id", "worktree", "python")
DEFAULT_TIMEOUT_SECONDS = 900
MAX_TIMEOUT_SECONDS = 24 * 3600


class TurnStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # exit code 0, or the webhook accepted
    FAILED = "failed"  # a non-zero exit code, or the webhook refused every attempt
    TIMED_OUT = "timed_out"  # ended by the dispatcher past its timeout
    LOST = "lost"  # the hub running it stopped answering; its lease ran out
    ERROR = "error"  # the runner could not be started


class TriggerKind(StrEnum):
    TASK_READY = "task_ready"
    MESSAGE = "message"
    QUESTION_ANSWERED = "question_answered"
    REVIEW_REQUESTED = "review_requested"
    REVIEW_VERDICT = "review_verdict"


@dataclass(frozen=True)
class Trigger:
    """Something new for an agent. `key` is unique per agent: a trigger starts at most one turn."""

    key: str
    kind: TriggerKind
    summary: str
    task_id: int | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind.value, "summary": self.summary, "task_id": self.task_id}


class CommandRunner(BaseModel):
    """Runs a command line per turn, e.g. a coding agent's CLI in print mode."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["command"] = "command"
    command: str = Field(min_length=1, max_length=4000)
    timeout_seconds: int = Field(DEFAULT_TIMEOUT_SECONDS, ge=1, le=MAX_TIMEOUT_SECONDS)
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("command")
    @classmethod
    def _splits(cls, command: str) -> str:
        try:
            words = shlex.split(command)
        except ValueError as exc:
            raise ValueError(f"the command line cannot be split into words: {exc}") from None
        if not words:
            raise ValueError("the command line is empty")
        for word in words:
            try:
                word.format_map({name: "" for name in PLACEHOLDERS})
            except (KeyError, ValueError, IndexError) as exc:
                raise ValueError(
                    f"unknown placeholder in {word!r} ({exc}); use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
                ) from None
        return command

    def argv(self, values: dict[str, str]) -> list[str]:
        return [word.format_map(values) for word in shlex.split(self.command)]


class WebhookRunner(BaseModel):
    """POSTs each turn, signed, to an agent that runs elsewhere."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://", max_length=2000)
    secret: str = Field(min_length=16, max_length=200)
    timeout_seconds: int = Field(30, ge=1, le=300)
    attempts: int = Field(4, ge=1, le=10)


Runner = CommandRunner | WebhookRunner


def parse_runner(raw: Any) -> Runner | None:
    """An agent's `config.runner` as settings; None when it has none. Invalid settings are refused."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput("runner must be an object with a type: command or webhook", field="runner")
    kind = raw.get("type", "command")
    if kind not in ("command", "webhook"):
        raise InvalidInput(f"unknown runner type {kind!r}: command or webhook", field="runner.type")
    try:
        return CommandRunner.model_validate(raw) if kind == "command" else WebhookRunner.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"invalid runner setting {where}: {first['msg']}", field=f"runner.{where}") from None


@dataclass(frozen=True)
class Turn:
    id: int
    team_id: int
    agent_id: int
    agent: str
    task_id: int | None
    hub_id: str
    runner: str
    status: TurnStatus
    trigger: TriggerKind
    triggers: tuple[dict[str, Any], ...]
    prompt: str
    command: str | None
    cwd: str | None
    started_at: datetime
    ended_at: datetime | None
    exit_code: int | None
    output_tail: str | None
    error: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float

    @property
    def duration_seconds(self) -> float | None:
        return None if self.ended_at is None else (self.ended_at - self.started_at).total_seconds()

    def to_json(self, *, with_prompt: bool = True) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "agent_id": self.agent_id,
            "agent": self.agent,
            "task_id": self.task_id,
            "runner": self.runner,
            "status": self.status.value,
            "trigger": self.trigger.value,
            "triggers": list(self.triggers),
            "command": self.command,
            "cwd": self.cwd,
            "hub_id": self.hub_id,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_seconds": self.duration_seconds,
            "exit_code": self.exit_code,
            "output_tail": self.output_tail,
            "error": self.error,
            "usage": {"tokens_in": self.tokens_in, "tokens_out": self.tokens_out, "cost_usd": self.cost_usd},
        }
        if with_prompt:
            shown["prompt"] = self.prompt
        return shown


@dataclass(frozen=True)
class RunOutcome:
    status: TurnStatus
    exit_code: int | None = None
    output_tail: str | None = None
    error: str | None = None
