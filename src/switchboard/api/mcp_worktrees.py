"""MCP tools for git: a team's repositories, a task's worktree and diff, and merging its branch."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import DESTRUCTIVE, READ_ONLY, WRITE, TeamId, answer, principal_of
from switchboard.api.mcp_tasks import TaskId
from switchboard.hub import Hub

Strategy = Annotated[
    str | None,
    Field(
        description=(
            "merge (a merge commit keeping the branch's commits), squash (one commit with all the changes) or "
            "rebase (the branch's commits replayed on top of the base branch)."
        )
    ),
]


def register_worktree_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Register a git repository",
        annotations=WRITE,
        description=(
            "Managers and admins: let the team's tasks work in a git repository on the hub's machine. From then "
            "on, each claimed task of the team gets its own git worktree under `<path>/.worktrees/task-<id>-<slug>` "
            "(or under `worktree_root`) on its own branch `<branch_prefix><id>-<slug>`, started from "
            "`base_branch`; the path is in the task as `worktree`. A task tagged `repo:<name>` uses the repository "
            "of that name, others the first one registered. Returns the repository. Refused: a path that is not a "
            "git working tree, a missing base branch, a name already used in the team (conflict)."
        ),
    )
    async def register_repository(
        name: Annotated[str, Field(description="A short name for the repository, e.g. `webapp`.")],
        path: Annotated[str, Field(description="Absolute path of the git working tree on the hub's machine.")],
        ctx: Context,
        base_branch: Annotated[str, Field(description="The branch tasks start from and merge into.")] = "main",
        branch_prefix: Annotated[str, Field(description="What each task's branch name starts with.")] = "task/",
        worktree_root: Annotated[
            str | None, Field(description="Absolute folder for the worktrees; default `<path>/.worktrees`.")
        ] = None,
        merge_strategy: Annotated[str, Field(description="The default for merges: merge, squash or rebase.")] = "merge",
        merge_on_approve: Annotated[
            bool, Field(description="Whether an approving review merges the task's branch.")
        ] = False,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            repository = await hub.worktrees.register_repository(
                principal,
                team.id,
                name,
                path,
                base_branch,
                branch_prefix,
                worktree_root,
                merge_strategy,
                merge_on_approve,
            )
            return repository.to_json()

        return await answer(run())

    @server.tool(
        title="List the team's repositories",
        annotations=READ_ONLY,
        description=(
            "The git repositories registered for your team, each with its path, base branch, branch prefix, "
            'worktree folder and merge strategy. Returns {"repositories": [...]}; an empty list means tasks get '
            "no worktrees."
        ),
    )
    async def list_repositories(ctx: Context, team_id: TeamId = None) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            return {"repositories": [r.to_json() for r in await hub.worktrees.list_repositories(principal, team.id)]}

        return await answer(run())

    @server.tool(
        title="Where to work on a task",
        annotations=READ_ONLY,
        description=(
            "The git worktree of a task you claimed: `path` (work and commit there, never in the main checkout), "
            "`branch`, `base_branch`, `base_commit` it started from, `status` (active; removed once the task "
            "ended, the branch kept; merged; failed with git's `error`), and `changed_files` [{path, status}] "
            "so far, committed or not. Not found: the team has no repository, or the task was not claimed yet."
        ),
    )
    async def get_worktree(task_id: TaskId, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            worktree = await hub.worktrees.worktree_of(principal, task_id)
            data = worktree.to_json()
            if worktree.status.value != "failed":
                changes = await hub.worktrees.diff(principal, task_id, with_patch=False)
                data["changed_files"] = [f.to_json() for f in changes.changed_files]
            return data

        return await answer(run())

    @server.tool(
        title="A task's changes",
        annotations=READ_ONLY,
        description=(
            "What a task's branch changed since it started, as a unified diff against its base commit, for "
            "reviewing before approval or merge: `diff` (committed work, plus uncommitted edits while the "
            "worktree is live; cut at 1 MiB with `truncated: true`) and `changed_files` [{path, status}] with "
            "status added, modified, deleted, renamed, copied, type_changed or untracked."
        ),
    )
    async def get_task_diff(task_id: TaskId, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.worktrees.diff(principal_of(ctx), task_id)).to_json()

        return await answer(run())

    @server.tool(
        title="Merge a task's branch",
        annotations=DESTRUCTIVE,
        description=(
            "Managers and admins: bring a finished or in-review task's branch into the base branch, with the "
            "repository's merge strategy unless `strategy` says otherwise. Only commits are merged: the holder "
            "must have committed its work. Afterwards the worktree and the branch are deleted and the task's "
            "worktree shows `status: merged` and `merge_commit`. A conflict error names the conflicting files in "
            "`details.files` and changes nothing: ask the engineer to bring the branch up to date and retry. "
            "Refused while the task is still claimed."
        ),
    )
    async def merge_task_branch(task_id: TaskId, ctx: Context, strategy: Strategy = None) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.worktrees.merge(principal_of(ctx), task_id, strategy)).to_json()

        return await answer(run())
