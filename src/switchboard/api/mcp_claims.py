"""MCP tools for doing a task: claim it, keep its lease, give it back or finish it."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import IDEMPOTENT_WRITE, WRITE, answer, answer_waiting, principal_of
from switchboard.api.mcp_tasks import TaskId, WaitSeconds
from switchboard.hub import Hub
from switchboard.tasks.models import Usage

Attempt = Annotated[
    int | None,
    Field(
        description=(
            "The `attempt` of your claim, from the task claim_task or claim_next returned. With it, a call made "
            "after your claim was lost and the task re-claimed is refused instead of acting on someone else's claim."
        )
    ),
]


def register_claim_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Claim a task",
        annotations=IDEMPOTENT_WRITE,
        description=(
            "Take a specific ready task so that you alone work on it; it becomes `claimed` with you as `holder` "
            "under a lease (see `lease_expires_at`) that heartbeat or update_task renews. Returns the task; note "
            "its `attempt`. Claims are atomic: if another agent holds it you get an error naming the holder; "
            "claiming a task you already hold just returns it. Also refused: a `blocked` task (the error says "
            "what it waits for), a finished one, or one aimed at an agent, group or role that is not you."
        ),
    )
    async def claim_task(task_id: TaskId, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.claims.claim_task(principal_of(ctx), task_id)).to_json()

        return await answer(run())

    @server.tool(
        title="Claim the next task for you",
        annotations=WRITE,
        description=(
            "Take the best ready task you may work on: aimed at you, a group you are in, your @role, `all`, or "
            "nobody; highest priority first, then oldest. This is how to ask for work. Returns "
            '{"task": {...}} with the task now claimed by you, or {"task": null} when nothing is waiting. '
            "To wait for work instead of polling, pass `wait_seconds` (up to 300): the call returns within "
            'milliseconds of a task for you becoming ready, or {"task": null} when the time is up. '
            "Then heartbeat while you work and complete_task when done."
        ),
    )
    async def claim_next(ctx: Context, wait_seconds: WaitSeconds = 0) -> CallToolResult:
        async def run() -> dict[str, Any]:
            task = await hub.claims.claim_next(principal_of(ctx), wait_seconds=wait_seconds)
            return {"task": task.to_json() if task is not None else None}

        return await answer_waiting(ctx, run(), wait_seconds)

    @server.tool(
        title="Keep your claim alive",
        annotations=IDEMPOTENT_WRITE,
        description=(
            "Renew the lease on a task you hold; call it every few minutes during long work (well within "
            "`lease_seconds`). If the lease runs out the task goes back to `ready` for others and your claim is "
            "lost. Returns the task with its new `lease_expires_at`. An error (conflict) means you no longer hold "
            "the task: stop working on it. Without `task_id` it only tells the hub you are alive (agents silent "
            "too long show as offline) and returns {agent, status, active_task_count, last_seen_at}."
        ),
    )
    async def heartbeat(
        ctx: Context,
        task_id: Annotated[
            int | None, Field(description="The task whose lease to renew; leave it out to only mark yourself alive.")
        ] = None,
        attempt: Attempt = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.claims.heartbeat(principal_of(ctx), task_id, attempt)).to_json()

        return await answer(run())

    @server.tool(
        title="Complete a task",
        annotations=WRITE,
        description=(
            "Finish a task you hold and report the outcome. `completed_status`: SUCCESS (done; tasks waiting for "
            "it become ready), FAILED (failed; dependents stay blocked until it is retried), SKIPPED (done, nothing "
            "was needed), CANCELLED. Put what you did in `result` (a summary, links, PR numbers) and report token "
            "usage and cost. Returns the finished task. Errors: a conflict if you do not hold it, your lease "
            "expired, or it is already finished; a manager may complete any open task."
        ),
    )
    async def complete_task(
        task_id: TaskId,
        ctx: Context,
        completed_status: Annotated[
            str, Field(description="SUCCESS, FAILED, SKIPPED or CANCELLED (default SUCCESS).")
        ] = "SUCCESS",
        result: Annotated[str | None, Field(description="What was done or why it failed (at most 64 KiB).")] = None,
        tokens_in: Annotated[int, Field(description="Input tokens spent on the task.")] = 0,
        tokens_out: Annotated[int, Field(description="Output tokens spent on the task.")] = 0,
        cost_usd: Annotated[float, Field(description="Cost in US dollars.")] = 0.0,
        model: Annotated[str | None, Field(description="The model that did the work.")] = None,
        attempt: Attempt = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            usage = Usage(tokens_in, tokens_out, cost_usd, model)
            task = await hub.claims.complete_task(principal_of(ctx), task_id, completed_status, result, usage, attempt)
            return task.to_json()

        return await answer(run())

    @server.tool(
        title="Give a task back",
        annotations=WRITE,
        description=(
            "Release a task you hold without finishing it, e.g. when you cannot do it or someone else should: it "
            "returns to `ready` for anyone it is aimed at. Say why in `reason`. Returns the task. A conflict "
            "error means you do not hold it."
        ),
    )
    async def unclaim_task(
        task_id: TaskId,
        ctx: Context,
        reason: Annotated[str | None, Field(description="Why you give it back, for the task's history.")] = None,
        attempt: Attempt = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.claims.unclaim_task(principal_of(ctx), task_id, attempt, reason)).to_json()

        return await answer(run())
