"""MCP tools for turns: what the dispatcher ran for each agent."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import READ_ONLY, TeamId, answer, principal_of
from switchboard.hub import Hub


def register_turn_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="List turns",
        annotations=READ_ONLY,
        description=(
            "The turns the dispatcher started for your team's agents, newest first: who ran, why (`trigger`: "
            "task_ready, message, question_answered, review_requested, review_verdict), when, how it ended "
            "(`status`: running, succeeded, failed, timed_out, lost, error), exit code, the tail of its output and "
            "the usage reported during it. Filter by `agent`, `task_id` or `status`; page back with `before`. Use "
            "it to see whether an agent is already working on something before nudging it."
        ),
    )
    async def list_turns(
        ctx: Context,
        agent: Annotated[str | None, Field(description="An agent's name or id; default every agent.")] = None,
        task_id: Annotated[int | None, Field(description="Only turns about this task.")] = None,
        status: Annotated[str | None, Field(description="Only turns with this status.")] = None,
        limit: Annotated[int, Field(description="At most this many (1-200, default 20).")] = 20,
        before: Annotated[int | None, Field(description="Only turns older than this turn id.")] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            turns = await hub.turns.list_turns(
                principal_of(ctx), team_id, agent=agent, task_id=task_id, status=status, limit=limit, before=before
            )
            return {"turns": [t.to_json(with_prompt=False) for t in turns]}

        return await answer(run())

    @server.tool(
        title="Get a turn",
        annotations=READ_ONLY,
        description=(
            "One turn in full: the prompt it was given (the role prompt plus what was new), its triggers, command, "
            "working directory, start and end, exit code, output tail, error and usage."
        ),
    )
    async def get_turn(
        ctx: Context,
        turn_id: Annotated[int, Field(description="The turn's id.")],
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.turns.get_turn(principal_of(ctx), turn_id)).to_json()

        return await answer(run())
