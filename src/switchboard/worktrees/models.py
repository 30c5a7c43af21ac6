"""Records of the worktrees domain: a team's repositories and the worktree of each claimed task."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from switchboard.errors import InvalidInput

SLUG_WORDS = 3  # "Create GET/PATCH /api/v1/users/me endpoint" -> "create-get-patch", as the Entourage seed shows


class MergeStrategy(StrEnum):
    MERGE = "merge"
    SQUASH = "squash"
    REBASE = "rebase"

    @classmethod
    def parse(cls, raw: str | None, default: MergeStrategy | None = None) -> MergeStrategy:
        if raw is None and default is not None:
            return default
        text = (raw or "merge").strip().lower()
        if text in cls.__members__.values():
            return cls(text)
        raise InvalidInput(f"unknown merge strategy {raw!r}; use merge, squash or rebase", merge_strategy=raw)


class WorktreeStatus(StrEnum):
    ACTIVE = "active"
    FAILED = "failed"  # git could not create it; `error` says why
    REMOVED = "removed"  # the task ended: the directory is gone, the branch is kept
    MERGED = "merged"


def task_slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())[:SLUG_WORDS]
    return "-".join(words)[:40].strip("-") or "task"


@dataclass(frozen=True)
class Repository:
    id: int
    team_id: int
    name: str
    path: str
    base_branch: str
    branch_prefix: str
    worktree_root: str | None
    merge_strategy: MergeStrategy
    merge_on_approve: bool
    created_at: datetime

    @property
    def worktrees_dir(self) -> str:
        return self.worktree_root or f"{self.path}/.worktrees"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "path": self.path,
            "base_branch": self.base_branch,
            "branch_prefix": self.branch_prefix,
            "worktree_root": self.worktrees_dir,
            "merge_strategy": self.merge_strategy.value,
            "merge_on_approve": self.merge_on_approve,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Worktree:
    task_id: int
    repository: str
    repository_path: str
    path: str
    branch: str
    base_branch: str
    base_commit: str
    status: WorktreeStatus
    error: str | None
    merge_commit: str | None
    head_commit: str | None
    created_at: datetime
    removed_at: datetime | None
    merged_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "repository": self.repository,
            "repository_path": self.repository_path,
            "path": self.path,
            "branch": self.branch,
            "base_branch": self.base_branch,
            "base_commit": self.base_commit or None,
            "status": self.status.value,
            "error": self.error,
            "merge_commit": self.merge_commit,
            "created_at": self.created_at.isoformat(),
            "removed_at": _iso(self.removed_at),
            "merged_at": _iso(self.merged_at),
        }


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added, modified, deleted, renamed, copied, type_changed, untracked

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "status": self.status}


@dataclass(frozen=True)
class TaskDiff:
    worktree: Worktree
    changed_files: tuple[ChangedFile, ...]
    diff: str | None  # None when only the files were asked for
    truncated: bool

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "task_id": self.worktree.task_id,
            "branch": self.worktree.branch,
            "base_branch": self.worktree.base_branch,
            "base_commit": self.worktree.base_commit or None,
            "changed_files": [f.to_json() for f in self.changed_files],
        }
        if self.diff is not None:
            data["diff"] = self.diff
            data["truncated"] = self.truncated
        return data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
