"""The role prompts as MCP prompts, each rendered for the agent that asks."""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer

from switchboard.api.mcp import principal_of
from switchboard.hub import Hub
from switchboard.prompts.roles import caller_role, prompt_for

DESCRIPTIONS = {
    "manager": (
        "System prompt for a manager agent: break a request into small tasks with create_tasks_batch and "
        "dependencies, check list_team_agents before assigning, give context with send_message, wait with "
        "wait_for_task_completion, and never write code."
    ),
    "engineer": (
        "System prompt for an engineer agent: claim one scoped task, keep its lease with heartbeat, work in its "
        "git worktree (get_worktree) with tests, ask_human when unsure, request_review when done, and report usage."
    ),
    "reviewer": (
        "System prompt for a reviewer agent: read a task's diff with get_task_diff and give a verdict with "
        "submit_review (approve, request_changes or reject) and concrete comments."
    ),
}


def register_prompts(server: MCPServer, hub: Hub) -> None:
    for role, description in DESCRIPTIONS.items():
        _register_role(server, hub, role, description)

    @server.prompt(
        title="My role's prompt",
        description=(
            "The system prompt for your own role (managers get the manager's, reviewers the reviewer's, every "
            "other role the engineer's), addressed to you by name."
        ),
    )
    async def my_role(ctx: Context) -> str:
        principal = principal_of(ctx)
        return await prompt_for(hub.teams, principal, caller_role(principal))


def _register_role(server: MCPServer, hub: Hub, role: str, description: str) -> None:
    async def render(ctx: Context) -> str:
        return await prompt_for(hub.teams, principal_of(ctx), role)

    server.prompt(name=role, title=f"{role.capitalize()} role", description=description)(render)
