"""Records of program state: the current document of an agent, its past versions, and a team's overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from switchboard.errors import InvalidInput

# The seed's key: an agent that writes `contextSummary` reads it back under the same name.
CONTEXT_SUMMARY_KEY = "contextSummary"


class StateMode(StrEnum):
    """How an update meets the current document: its top-level keys replace those keys, or it replaces it all."""

    MERGE = "merge"
    REPLACE = "replace"

    @classmethod
    def parse(cls, raw: str | None) -> StateMode:
        text = (raw or cls.MERGE.value).strip().lower()
        if text in cls.__members__.values():
            return cls(text)
        raise InvalidInput(f"unknown mode {raw!r}; use merge or replace", mode=raw)


@dataclass(frozen=True)
class ProgramState:
    """An agent's current document. Version 0 is an agent that has written nothing yet."""

    program_id: str
    agent_id: int
    team_id: int
    version: int
    state: dict[str, Any]
    updated_by: str | None
    updated_at: datetime | None

    @property
    def context_summary(self) -> Any:
        return self.state.get(CONTEXT_SUMMARY_KEY)

    def to_json(self) -> dict[str, Any]:
        return {
            "program_id": self.program_id,
            "agent_id": self.agent_id,
            "team_id": self.team_id,
            "version": self.version,
            "state": self.state,
            "context_summary": self.context_summary,
            "updated_by": self.updated_by,
            "updated_at": _iso(self.updated_at),
        }

    def summary_json(self, role: str) -> dict[str, Any]:
        """The overview a manager scans: the context summary and which keys exist, not the whole document."""
        return {
            "program_id": self.program_id,
            "agent_id": self.agent_id,
            "team_id": self.team_id,
            "role": role,
            "version": self.version,
            "context_summary": self.context_summary,
            "keys": sorted(self.state),
            "updated_by": self.updated_by,
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class ProgramStateVersion:
    """The whole document as one update left it."""

    version: int
    mode: StateMode
    state: dict[str, Any]
    updated_by: str
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "mode": self.mode.value,
            "state": self.state,
            "context_summary": self.state.get(CONTEXT_SUMMARY_KEY),
            "updated_by": self.updated_by,
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class ProgramStateHistory:
    """Versions newest first; `next_before_version` asks for the page of older ones (None: no more)."""

    program_id: str
    agent_id: int
    team_id: int
    current_version: int
    versions: tuple[ProgramStateVersion, ...]
    next_before_version: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "program_id": self.program_id,
            "agent_id": self.agent_id,
            "team_id": self.team_id,
            "current_version": self.current_version,
            "versions": [v.to_json() for v in self.versions],
            "next_before_version": self.next_before_version,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
