"""Records and inputs of the sprints domain: a sprint is a named set of stories in waves, each story a task."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from switchboard.errors import InvalidInput, NotFound
from switchboard.limits import ID_MAX
from switchboard.tasks.models import TERMINAL, Task, TaskStatus

STORY_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
WAVE_MAX = 1000
_SPRINT_KEY = re.compile(r"^(?:sprint-)?(\d{1,10})$")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


class SprintStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"


class WaveStatus(StrEnum):
    DONE = "done"  # every story done (or skipped)
    OPEN = "open"  # every earlier wave is done: its stories can be claimed once their own dependencies are done
    LOCKED = "locked"  # an earlier wave is not done yet


def parse_sprint_id(raw: int | str) -> int:
    """`12`, `"12"` or `"sprint-12"` -> 12; anything else names no sprint."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    else:
        match = _SPRINT_KEY.match(str(raw).strip().lower())
        if match is None:
            raise NotFound(f"sprint {raw!r} not found: sprint ids look like 12 or sprint-12", sprint_id=str(raw))
        number = int(match.group(1))
    if not 0 < number <= ID_MAX:
        raise NotFound(f"sprint {raw!r} not found", sprint_id=str(raw))
    return number


def sprint_key(sprint_id: int) -> str:
    return f"sprint-{sprint_id}"


class StoryDraft(BaseModel):
    """One story as a caller writes it; without an `id` it gets `story-<n>` by its position."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str | None = Field(None, validation_alias=AliasChoices("id", "story_id"))
    title: str
    wave: int = Field(1, ge=1, le=WAVE_MAX)
    dependencies: list[str] = Field(default_factory=list, validation_alias=AliasChoices("dependencies", "depends_on"))
    target: str | int | None = Field(None, validation_alias=AliasChoices("target", "assignee", "assignee_id"))
    instructions: str = Field("", validation_alias=AliasChoices("instructions", "description"))
    priority: str | int = "normal"

    @classmethod
    def parse(cls, fields: Mapping[str, Any], item: int | None = None) -> StoryDraft:
        """From JSON or YAML: camelCase names (`storyId`, `dependsOn`) are accepted; a story id may be a number."""
        data = {_CAMEL.sub(r"_\1", str(k)).lower(): v for k, v in fields.items() if v is not None}
        for name in ("id", "story_id"):
            if isinstance(data.get(name), int) and not isinstance(data[name], bool):
                data[name] = str(data[name])
        if isinstance(data.get("dependencies", data.get("depends_on")), list):
            key = "dependencies" if "dependencies" in data else "depends_on"
            data[key] = [str(d) if isinstance(d, int) and not isinstance(d, bool) else d for d in data[key]]
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = [
                {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False)
            ]
            where = "story" if item is None else f"story {item}"
            first = problems[0]
            raise InvalidInput(f"{where}: {first['field']}: {first['message']}", item=item, errors=problems) from None


@dataclass(frozen=True)
class Story:
    sprint_id: int
    story_id: str
    wave: int
    dependencies: tuple[str, ...]
    position: int
    task: Task

    @property
    def is_open(self) -> bool:
        return self.task.status not in TERMINAL

    def to_json(self) -> dict[str, Any]:
        task = self.task
        return {
            "story_id": self.story_id,
            "sprint_id": self.sprint_id,
            "sprint_key": sprint_key(self.sprint_id),
            "task_id": task.id,
            "title": task.title,
            "wave": self.wave,
            "status": task.status.value,
            "target": task.target,
            "holder": task.holder,
            "progress": task.progress,
            "current_action": task.current_action,
            "dependencies": list(self.dependencies),
            "blocked_reason": task.blocked_reason,
            "completed_status": task.completed_status,
        }


@dataclass(frozen=True)
class Progress:
    """How far a set of stories has come: counts by task status, and the lowest wave still open."""

    counts: dict[str, int]
    total: int
    done: int
    current_wave: int | None

    @classmethod
    def of(cls, statuses: Iterable[tuple[int, TaskStatus]]) -> Progress:
        counts = {status.value: 0 for status in TaskStatus}
        open_waves: list[int] = []
        for wave, status in statuses:
            counts[status.value] += 1
            if status not in TERMINAL:
                open_waves.append(wave)
        total = sum(counts.values())
        return cls(counts, total, counts[TaskStatus.DONE.value], min(open_waves, default=None))

    @property
    def percent_done(self) -> int:
        # Rounded down, so 100 means every story is done.
        return 100 * self.done // self.total if self.total else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "total": self.total,
            "done": self.done,
            "percent_done": self.percent_done,
            "current_wave": self.current_wave,
        }


@dataclass(frozen=True)
class SprintSummary:
    id: int
    team_id: int
    project_name: str
    branch: str | None
    description: str | None
    status: SprintStatus
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    progress: Progress

    @property
    def key(self) -> str:
        return sprint_key(self.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "team_id": self.team_id,
            "project_name": self.project_name,
            "branch": self.branch,
            "description": self.description,
            "status": self.status.value,
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
            "completed_at": _iso(self.completed_at),
            **self.progress.to_json(),
        }


@dataclass(frozen=True)
class Sprint:
    summary: SprintSummary
    stories: tuple[Story, ...]

    @property
    def id(self) -> int:
        return self.summary.id

    @property
    def key(self) -> str:
        return self.summary.key

    def story(self, story_id: str) -> Story | None:
        return next((s for s in self.stories if s.story_id == story_id), None)

    def waves(self) -> list[tuple[int, WaveStatus, list[Story]]]:
        by_wave: dict[int, list[Story]] = {}
        for story in sorted(self.stories, key=lambda s: (s.wave, s.position)):
            by_wave.setdefault(story.wave, []).append(story)
        shown = []
        earlier_done = True
        for wave, stories in sorted(by_wave.items()):
            done = all(s.task.status == TaskStatus.DONE for s in stories)
            status = WaveStatus.DONE if done else WaveStatus.OPEN if earlier_done else WaveStatus.LOCKED
            shown.append((wave, status, stories))
            earlier_done = earlier_done and done
        return shown

    def to_json(self) -> dict[str, Any]:
        data = self.summary.to_json()
        data["waves"] = [
            {"wave": wave, "status": status.value, "stories": [s.to_json() for s in stories]}
            for wave, status, stories in self.waves()
        ]
        return data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
