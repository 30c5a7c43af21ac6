"""MCP tools for presence: report a working session's pulse and see the team's sessions."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import IDEMPOTENT_WRITE, READ_ONLY, TeamId, answer, principal_of
from switchboard.hub import Hub


def register_presence_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Update your session",
        annotations=IDEMPOTENT_WRITE,
        description=(
            "Report the pulse of your working session so the team and people watching see you are running and "
            "how far along you are. `session_id` is any name you pick for this run (e.g. `builder-session-1`); "
            "the first update opens it. `status`: running, idle, blocked, done or closed (done and closed end the "
            "session; any other text is kept as your current action). `progress` 0-100, `current_action` what you "
            "are doing now, `state` a JSON object of your own (at most 64 KiB; CacheBash's words working, "
            "blocked, complete, pinned are accepted too and set the status). Call it every few minutes: a "
            "session silent past the team's `session_timeout_seconds` is closed. Returns the session."
        ),
    )
    async def update_session(
        session_id: Annotated[str, Field(description="Your name for this working session (1-200 characters).")],
        ctx: Context,
        status: Annotated[
            str | None, Field(description="running, idle, blocked, done or closed; other text is a status message.")
        ] = None,
        progress: Annotated[float | None, Field(description="How far along, 0 to 100.")] = None,
        state: Annotated[
            dict[str, Any] | str | None,
            Field(description="A JSON object you want kept with the session (replaces the previous one)."),
        ] = None,
        current_action: Annotated[str | None, Field(description="What you are doing right now.")] = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            session = await hub.sessions.update_session(principal, session_id, status, progress, state, current_action)
            return session.to_json()

        return await answer(run())

    @server.tool(
        title="List working sessions",
        annotations=READ_ONLY,
        description=(
            "The team's working sessions, most recently updated first: which agent runs each, its status, "
            "progress, current action and when it was last heard from. Open sessions only, unless "
            "`include_ended`; `agent` narrows to one agent (name or id). Use it to see who is working on what "
            'right now. Returns {"sessions": [...]}.'
        ),
    )
    async def list_sessions(
        ctx: Context,
        agent: Annotated[str | None, Field(description="Only this agent's sessions (its name or id).")] = None,
        include_ended: Annotated[bool, Field(description="Include sessions that are done or closed.")] = False,
        limit: Annotated[int, Field(description="At most this many (1-500, default 100).")] = 100,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            sessions = await hub.sessions.list_sessions(principal_of(ctx), team_id, agent, include_ended, limit)
            return {"sessions": [s.to_json() for s in sessions]}

        return await answer(run())
