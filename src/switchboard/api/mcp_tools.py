"""The MCP tools. Each parses its arguments, calls one service, and answers with `answer(...)`."""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult

from switchboard.api.mcp import READ_ONLY, answer, principal_of
from switchboard.api.mcp_claims import register_claim_tools
from switchboard.api.mcp_messages import register_messages_tools
from switchboard.api.mcp_prompts import register_prompts
from switchboard.api.mcp_questions import register_questions_tools
from switchboard.api.mcp_reviews import register_review_tools
from switchboard.api.mcp_sprints import register_sprints_tools
from switchboard.api.mcp_state import register_state_tools
from switchboard.api.mcp_tasks import register_task_tools
from switchboard.api.mcp_teams import register_team_tools
from switchboard.api.mcp_turns import register_turn_tools
from switchboard.api.mcp_usage import register_usage_tools
from switchboard.api.mcp_webhooks import register_webhook_tools
from switchboard.api.mcp_worktrees import register_worktree_tools
from switchboard.api.shapes import principal_json
from switchboard.hub import Hub


def register_all(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Who am I",
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

    register_task_tools(server, hub)
    register_claim_tools(server, hub)
    register_team_tools(server, hub)
    register_messages_tools(server, hub)
    register_sprints_tools(server, hub)
    register_state_tools(server, hub)
    register_questions_tools(server, hub)
    register_usage_tools(server, hub)
    register_worktree_tools(server, hub)
    register_review_tools(server, hub)
    register_webhook_tools(server, hub)
    register_turn_tools(server, hub)
    register_prompts(server, hub)
