"""The role prompts through the MCP SDK client: listed, and rendered for the caller."""

from __future__ import annotations

import anyio
from mcp_types import GetPromptResult, TextContent

from switchboard.api.app import HubApp
from tests.api.mcp_client import mcp_client
from tests.conftest import World


def text_of(result: GetPromptResult) -> str:
    [message] = result.messages
    assert isinstance(message.content, TextContent)
    return message.content.text


async def test_the_role_prompts_are_listed(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        with anyio.fail_after(5):
            listed = await client.list_prompts()
    assert {p.name for p in listed.prompts} == {"manager", "engineer", "reviewer", "my_role"}
    described = {p.name: p.description or "" for p in listed.prompts}
    assert "submit_review" in described["reviewer"] and "never write code" in described["manager"]


async def test_a_prompt_is_rendered_for_the_agent_that_asks(app: HubApp, world: World) -> None:
    reviewer = await world.agent("rev-1", "reviewer")
    async with mcp_client(app, reviewer.key) as client:
        with anyio.fail_after(5):
            reviewer_prompt = await client.get_prompt("reviewer")
            mine = await client.get_prompt("my_role")
            manager_prompt = await client.get_prompt("manager")
    text = text_of(reviewer_prompt)
    assert text.startswith(f"# You are rev-1, a reviewer on team {world.team.name}")
    assert "`submit_review`" in text and "`get_task_diff`" in text
    assert text_of(mine) == text
    manager_text = text_of(manager_prompt)
    assert manager_text.startswith("# You are rev-1, the manager of team")
    assert "`create_tasks_batch`" in manager_text


async def test_an_agent_of_another_role_follows_the_engineer_prompt(app: HubApp, world: World) -> None:
    designer = await world.agent("designer", "designer")
    async with mcp_client(app, designer.key) as client:
        with anyio.fail_after(5):
            mine = await client.get_prompt("my_role")
            engineer = await client.get_prompt("engineer")
    assert text_of(mine) == text_of(engineer)
    assert "`get_worktree`" in text_of(mine)
