"""The role prompts: rendered for one agent, and naming only tools the hub has."""

from __future__ import annotations

import re

import pytest

from switchboard.api.app import HubApp
from switchboard.prompts import ROLES, role_prompt
from tests.api.mcp_client import mcp_client
from tests.conftest import World
from tests.prompts.teams import a_team

# Backticked words in the prompts that are arguments, fields or values rather than tools.
NOT_TOOLS = {
    "@engineer", "approve", "attempt", "blocked", "builders", "cascade", "comments", "completed_status",
    "context_summary", "cost_usd", "current_action", "depends_on", "id", "idempotency_key", "in_review",
    "instructions", "model", "options", "parent_id", "progress", "ref", "reject", "request_changes", "result",
    "summary", "task_id", "tokens_in", "tokens_out",
}  # fmt: skip
EXPECTED = {
    "manager": {"create_tasks_batch", "list_team_agents", "wait_for_task_completion", "send_message"},
    "engineer": {"claim_next", "heartbeat", "get_worktree", "ask_human", "request_review", "complete_task"},
    "reviewer": {"get_task_diff", "submit_review", "approve", "request_changes", "reject"},
}


async def test_each_prompt_is_addressed_to_the_agent_with_its_team_and_groups(world: World) -> None:
    member = await world.agent("eng-backend", "engineer", groups=["builders", "council"])
    text = role_prompt("engineer", member.principal.agent, world.team)
    assert text.startswith(f"# You are eng-backend, an engineer on team {world.team.name}\n")
    [groups_line] = [line for line in text.splitlines() if "Your groups:" in line]
    assert "builders" in groups_line and "council" in groups_line
    assert "$" not in text


def test_a_role_without_a_prompt_gets_the_engineers() -> None:
    team = a_team()
    assert role_prompt("designer", None, team) == role_prompt("engineer", None, team)
    assert role_prompt(None, None, team) == role_prompt("engineer", None, team)
    assert role_prompt("manager", None, team) != role_prompt("engineer", None, team)


@pytest.mark.parametrize("role", ROLES)
def test_a_prompt_teaches_its_roles_tools(role: str) -> None:
    named = set(re.findall(r"`([^`]+)`", role_prompt(role, None, a_team())))
    assert EXPECTED[role] <= named


async def test_every_tool_a_prompt_names_exists(app: HubApp, world: World) -> None:
    async with mcp_client(app, world.admin_key) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
    for role in ROLES:
        named = set(re.findall(r"`([^`]+)`", role_prompt(role, None, world.team)))
        unknown = named - tools - NOT_TOOLS
        assert not unknown, f"the {role} prompt names tools the hub does not have: {sorted(unknown)}"
