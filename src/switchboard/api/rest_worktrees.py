"""REST routes for git: a team's repositories, a task's worktree and diff, and merging its branch."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from switchboard.api.dependencies import Caller, CurrentHub, PathId

router = APIRouter(tags=["git"])


class NewRepository(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="A short name for the repository, e.g. `webapp`; tasks tagged `repo:<name>` use it.")
    path: str = Field(description="Absolute path of the git working tree on the hub's machine.")
    base_branch: str = "main"
    branch_prefix: str = "task/"
    worktree_root: str | None = Field(None, description="Absolute folder for worktrees; default `<path>/.worktrees`.")
    merge_strategy: str = Field("merge", description="merge, squash or rebase.")
    merge_on_approve: bool = False


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: str | None = Field(None, description="merge, squash or rebase; default the repository's strategy.")


@router.post("/teams/{team_id}/repositories", status_code=201)
async def register_repository(
    team_id: PathId, body: NewRepository, principal: Caller, hub: CurrentHub
) -> dict[str, Any]:
    """Register a git repository (managers and admins): the team's claimed tasks get worktrees of it."""
    repository = await hub.worktrees.register_repository(principal, team_id, **body.model_dump())
    return repository.to_json()


@router.get("/teams/{team_id}/repositories", status_code=200)
async def list_repositories(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The team's registered repositories."""
    return {"repositories": [r.to_json() for r in await hub.worktrees.list_repositories(principal, team_id)]}


@router.delete("/teams/{team_id}/repositories/{repository_id}", status_code=200)
async def remove_repository(
    team_id: PathId, repository_id: PathId, principal: Caller, hub: CurrentHub
) -> dict[str, Any]:
    """Forget a repository (managers and admins); refused while a task works in one of its worktrees."""
    return (await hub.worktrees.remove_repository(principal, team_id, repository_id)).to_json()


@router.get("/tasks/{task_id}/worktree", status_code=200)
async def get_worktree(task_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The task's worktree: path, branch, base, status, and the files changed so far."""
    worktree = await hub.worktrees.worktree_of(principal, task_id)
    data = worktree.to_json()
    if worktree.status.value != "failed":
        changes = await hub.worktrees.diff(principal, task_id, with_patch=False)
        data["changed_files"] = [f.to_json() for f in changes.changed_files]
    return data


@router.get("/tasks/{task_id}/diff", status_code=200)
async def get_task_diff(
    task_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    files_only: bool = Query(False, description="Only `changed_files`, without the patch."),
) -> dict[str, Any]:
    """The task's changes against its base commit: a unified diff (cut at 1 MiB) and the changed files."""
    return (await hub.worktrees.diff(principal, task_id, with_patch=not files_only)).to_json()


@router.post("/tasks/{task_id}/merge", status_code=200)
async def merge_task_branch(
    task_id: PathId, principal: Caller, hub: CurrentHub, body: MergeRequest | None = None
) -> dict[str, Any]:
    """Merge the task's branch into the base branch (managers and admins); a conflict (409) changes nothing."""
    return (await hub.worktrees.merge(principal, task_id, body.strategy if body else None)).to_json()
