"""MCP tools for reviews: an engineer asks for one, a reviewer gives the verdict, anyone reads them."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import READ_ONLY, WRITE, TeamId, answer, principal_of
from switchboard.api.mcp_claims import Attempt
from switchboard.api.mcp_tasks import TaskId
from switchboard.hub import Hub

EVERYONE = "all"

Summary = Annotated[str | None, Field(description="A short summary for the other side (at most 64 KiB).")]
Comments = Annotated[
    list[str | dict[str, Any]] | None,
    Field(
        description=(
            "Concrete comments, each a string or an object such as "
            '{"file": "src/login.py", "line": 42, "body": "Validate the e-mail before sending"}; at most 200, '
            "64 KiB in all. They are stored with the review and sent to the engineer."
        )
    ),
]


def register_review_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Ask for a review of your work",
        annotations=WRITE,
        description=(
            "When the work on a task you hold is committed and its tests pass, hand it to a reviewer instead of "
            "calling complete_task. The task becomes `in_review`: your lease stops (nothing expires while you "
            "wait) and you stay its holder. The reviewer is the agent you name in `reviewer`, or else the fairest "
            "agent with role `reviewer` (idle ones first, then the one with the fewest pending reviews); it gets "
            "a message asking for a verdict, and reads your branch with get_task_diff. Put what changed and how "
            "you tested it in `summary`. The verdict reaches you as a message: approve finishes the task, "
            "request_changes gives it back to you (claimed again, fresh lease) with comments, reject fails it. "
            'Returns {"review": {...}, "task": {...}}. Refused: a task you do not hold (or whose lease you lost), '
            "one already in review, a team with no reviewer to ask. Managers may send any claimed task to review."
        ),
    )
    async def request_review(
        task_id: TaskId,
        ctx: Context,
        reviewer: Annotated[
            str | int | None,
            Field(description="The agent to ask (name or id); leave it out to let the hub pick a reviewer."),
        ] = None,
        summary: Summary = None,
        attempt: Attempt = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            outcome = await hub.reviews.request_review(principal_of(ctx), task_id, reviewer, summary, attempt)
            return outcome.to_json()

        return await answer(run())

    @server.tool(
        title="Give a review's verdict",
        annotations=WRITE,
        description=(
            "As the reviewer asked (or a manager), judge a task that is `in_review` after reading its change with "
            "get_task_diff. `verdict`: approve (the task is done and tasks waiting for it may start; when the "
            "repository merges on approval its branch is merged first, and if the branch conflicts the task "
            "goes back to the engineer to rebase instead), request_changes (the task goes back to its engineer, "
            "who receives your summary and every comment), or reject (the task fails; say why so the manager "
            'can plan again). Returns {"review", "task", "merge"?}. Refused with a conflict if the task has '
            "no pending review or another verdict came first; forbidden if the review is assigned to someone else."
        ),
    )
    async def submit_review(
        task_id: TaskId,
        verdict: Annotated[str, Field(description="approve, request_changes (or changes_requested) or reject.")],
        ctx: Context,
        summary: Summary = None,
        comments: Comments = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            outcome = await hub.reviews.submit_review(principal_of(ctx), task_id, verdict, summary, comments)
            return outcome.to_json()

        return await answer(run())

    @server.tool(
        title="List reviews",
        annotations=READ_ONLY,
        description=(
            "With `task_id`: every review of that task, oldest first (who reviewed, the verdict, summary and "
            "comments): read it before fixing what a reviewer asked for. Without: the reviews waiting for you "
            "(status `pending`, reviewer you), oldest first, so a reviewer knows what to do next; choose another "
            "`status` (approved, changes_requested, rejected, withdrawn, all) or `reviewer` (a name, or `all` for "
            'everyone\'s; admin keys see everyone\'s). Returns {"reviews": [...], "count"}.'
        ),
    )
    async def list_reviews(
        ctx: Context,
        task_id: Annotated[int | None, Field(description="Only this task's reviews.")] = None,
        status: Annotated[str | None, Field(description="pending (default), approved, ..., or all.")] = None,
        reviewer: Annotated[
            str | int | None, Field(description="Whose reviews: default you; `all` for everyone's.")
        ] = None,
        limit: Annotated[int, Field(description="At most this many (1 to 500).")] = 100,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            if task_id is not None:
                reviews = await hub.reviews.reviews_of_task(principal, task_id)
            else:
                team = await hub.teams.default_team(principal, team_id)
                whose = reviewer if reviewer is not None else principal.agent.id if principal.agent else None
                whose = None if whose == EVERYONE else whose
                reviews = await hub.reviews.list_reviews(principal, team.id, status or "pending", whose, limit)
            return {"reviews": [r.to_json() for r in reviews], "count": len(reviews)}

        return await answer(run())
