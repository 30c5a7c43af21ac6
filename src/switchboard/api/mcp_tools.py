"""The MCP tools. Each parses its arguments, calls one service, and answers with `answer(...)`."""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult

from switchboard.api.mcp import READ_ONLY, answer, principal_of
from switchboard.api.shapes import principal_json
from switchboard.hub import Hub


def register_all(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        annotations=READ_ONLY,
        description=(
            "Tell who you are on this hub: your agent name and id, role, team, groups, and the key you use. "
            "Call this first in a new session; your name is what tasks and messages aimed at you use as target."
        ),
    )
    async def whoami(ctx: Context) -> CallToolResult:
        async def me() -> dict[str, object]:
            return principal_json(principal_of(ctx))

        return await answer(me())
