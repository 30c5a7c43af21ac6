"""MCP tools for program state: the document an agent keeps across sessions."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import READ_ONLY, WRITE, TeamId, answer, principal_of
from switchboard.hub import Hub

ProgramId = Annotated[
    str | int | None,
    Field(
        description=(
            "The agent whose state it is: its name (e.g. `builder`) or id. Leave it out for your own. "
            "Naming an agent outside your team is reported as not found."
        )
    ),
]


def register_state_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Read program state",
        annotations=READ_ONLY,
        description=(
            "Read the state you saved in earlier sessions, so you pick up where you left off: call it at the start "
            "of a session. Returns {program_id, agent_id, team_id, version, state, context_summary, updated_by, "
            "updated_at}: `state` is the whole JSON document and `context_summary` its `contextSummary` key "
            "(e.g. lastTask, activeWorkItems, openQuestions). An agent that never saved anything gets version 0 "
            "and an empty state, not an error. Keep `version` if you plan to update with `expected_version`. "
            "You read your own state; managers and admins may read any agent's of their team (others are refused)."
        ),
    )
    async def get_program_state(ctx: Context, program_id: ProgramId = None, team_id: TeamId = None) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.states.get_program_state(principal_of(ctx), program_id, team_id)).to_json()

        return await answer(run())

    @server.tool(
        title="Save program state",
        annotations=WRITE,
        description=(
            "Save what the next session of you needs to know, e.g. at the end of a session: `context_summary` "
            "(stored as `contextSummary`: lastTask, activeWorkItems, openQuestions, any JSON) and/or `state` (any "
            "JSON object of your own keys). mode `merge` (default): the top-level keys you send replace those "
            "keys and the rest is kept; a key sent as null is removed. mode `replace`: what you send becomes the "
            "whole document. Each save makes a new version and returns the new state. To be safe against another "
            "session of you writing at the same time, pass the `version` you last read as `expected_version`: if "
            "someone got there first the call is refused (conflict, with `current_version`) and nothing is "
            "written; read again, reapply your change, retry. You can only write your own state; the document "
            "may be at most 256 KiB."
        ),
    )
    async def update_program_state(
        ctx: Context,
        program_id: ProgramId = None,
        context_summary: Annotated[
            Any,
            Field(
                description=(
                    "Your summary for the next session, any JSON: e.g. {lastTask: {taskId, title, outcome, notes}, "
                    "activeWorkItems: [...], openQuestions: [...]}. Read back as `context_summary`."
                )
            ),
        ] = None,
        state: Annotated[dict[str, Any] | None, Field(description="Any other keys to save, as a JSON object.")] = None,
        mode: Annotated[
            str,
            Field(
                description="merge (default): replace only the keys sent; replace: send the whole document.",
                json_schema_extra={"enum": ["merge", "replace"]},
            ),
        ] = "merge",
        expected_version: Annotated[
            int | None,
            Field(
                description=(
                    "The version you last read (0 if you had none). If the state has moved on since, the call is "
                    "refused instead of overwriting someone else's update."
                )
            ),
        ] = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            saved = await hub.states.update_program_state(
                principal_of(ctx), program_id, context_summary, state, mode, expected_version
            )
            return saved.to_json()

        return await answer(run())

    @server.tool(
        title="Program state history",
        annotations=READ_ONLY,
        description=(
            "Earlier versions of an agent's program state, newest first, each with its whole document, `mode` "
            "(merge or replace), who wrote it and when. Use it to see how the state evolved or recover something "
            "a later update dropped. Returns {program_id, current_version, versions: [...], next_before_version}; "
            "pass `next_before_version` as `before_version` for the page of older versions (null: no more). "
            "The same access as get_program_state."
        ),
    )
    async def get_program_state_history(
        ctx: Context,
        program_id: ProgramId = None,
        limit: Annotated[int, Field(description="How many versions, 1 to 100 (default 20).")] = 20,
        before_version: Annotated[
            int | None, Field(description="Only versions older than this one (for the next page).")
        ] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            history = await hub.states.get_program_state_history(
                principal_of(ctx), program_id, limit, before_version, team_id
            )
            return history.to_json()

        return await answer(run())
