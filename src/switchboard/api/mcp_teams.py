"""MCP tools about the team: its agents and their API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import DESTRUCTIVE, READ_ONLY, WRITE, TeamId, answer, principal_of
from switchboard.api.shapes import agent_view_json, issued_key_json, key_json
from switchboard.hub import Hub


def register_team_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="List the team's agents",
        annotations=READ_ONLY,
        description=(
            "Every agent of your team with its name, id, role, groups, model and what it is doing: `status` idle, "
            "busy (holds tasks) or offline (not seen for the team's `offline_after_seconds`, 10 minutes by "
            "default), and `active_task_count`. Use it before "
            "handing out work, to know who exists and who has capacity; an agent's name, a group or `@role` is "
            'what create_task takes as `target`. Returns {"agents": [...]}.'
        ),
    )
    async def list_team_agents(ctx: Context, team_id: TeamId = None) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            return {"agents": [agent_view_json(a) for a in await hub.teams.list_agents(principal, team.id)]}

        return await answer(run())

    @server.tool(
        title="Create an API key for an agent",
        annotations=WRITE,
        description=(
            "Issue an API key for the agent `program_id` (its name, e.g. `builder`, or its id). If no agent of "
            "that name exists yet, it is created with `role` (default engineer), so this is also how to add an "
            "agent to the team. The response holds the plaintext key in `key`: it is shown only this once, so "
            "hand it to the agent's MCP configuration now. Only managers and admins may create keys."
        ),
    )
    async def create_key(
        program_id: Annotated[str, Field(description="The agent's name (letters, digits, . _ -) or id.")],
        ctx: Context,
        label: Annotated[str | None, Field(description="What the key is for, e.g. 'Builder Agent'.")] = None,
        role: Annotated[str | None, Field(description="Role of a new agent: engineer, reviewer, manager, ...")] = None,
        expires_at: Annotated[
            datetime | None, Field(description="When the key stops working (ISO 8601); by default never.")
        ] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            issued = await hub.keys.create_key(principal, team.id, program_id, label, role, expires_at)
            return issued_key_json(issued)

        return await answer(run())

    @server.tool(
        title="List API keys",
        annotations=READ_ONLY,
        description=(
            "The API keys you may see, never in plaintext: an agent sees its own, a manager its team's, an admin "
            "its org's (or one team's with `team_id`). Each shows its id, agent, label, prefix, expiry, revocation "
            'and last use. Use it to find the id revoke_key takes. Returns {"keys": [...]}.'
        ),
    )
    async def list_keys(ctx: Context, team_id: TeamId = None) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return {"keys": [key_json(k) for k in await hub.keys.list_keys(principal_of(ctx), team_id)]}

        return await answer(run())

    @server.tool(
        title="Revoke an API key",
        annotations=DESTRUCTIVE,
        description=(
            "Revoke an API key at once and for good: every later call with it is refused as unauthorized. Use it "
            "when a key leaked or an agent is retired. Agents may revoke their own keys; managers and admins any "
            "of their team's. Returns the key with `revoked_at` set; revoking it again returns it unchanged."
        ),
    )
    async def revoke_key(
        key_id: Annotated[int, Field(description="The key's id, from list_keys or create_key.")], ctx: Context
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return key_json(await hub.keys.revoke(principal_of(ctx), key_id))

        return await answer(run())
