"""The team's agents and keys through MCP, and what tools/list shows each role."""

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused, refused_connection
from tests.conftest import World

STEWARD_ONLY = {"create_key", "revoke_key"}
TASK_AND_KEY_TOOLS = {
    "whoami",
    "create_task",
    "create_tasks_batch",
    "get_tasks",
    "get_task",
    "claim_task",
    "claim_next",
    "heartbeat",
    "update_task",
    "complete_task",
    "unclaim_task",
    "cancel_task",
    "retry_task",
    "reassign_task",
    "get_task_events",
    "list_team_agents",
    "create_key",
    "list_keys",
    "revoke_key",
}


async def test_an_engineer_does_not_see_the_key_tools_a_manager_sees(app: HubApp, world: World) -> None:
    engineer = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, engineer.key) as client:
        engineer_tools = {t.name for t in (await client.list_tools()).tools}
    async with mcp_client(app, manager.key) as client:
        manager_tools = {t.name for t in (await client.list_tools()).tools}
    async with mcp_client(app, world.admin_key) as client:
        admin_tools = {t.name for t in (await client.list_tools()).tools}
    assert engineer_tools >= TASK_AND_KEY_TOOLS - STEWARD_ONLY
    assert not STEWARD_ONLY & engineer_tools
    assert manager_tools >= TASK_AND_KEY_TOOLS
    assert admin_tools >= TASK_AND_KEY_TOOLS


async def test_every_tool_has_a_description_an_input_schema_and_annotations(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for tool in tools.values():
        assert tool.description and len(tool.description) > 80, tool.name
        assert tool.input_schema["type"] == "object", tool.name
        assert tool.annotations is not None, tool.name
    for name in ("get_tasks", "get_task", "get_task_events", "list_team_agents", "list_keys", "whoami"):
        assert tools[name].annotations.read_only_hint is True, name  # type: ignore[union-attr]
    for name in ("cancel_task", "revoke_key"):
        assert tools[name].annotations.destructive_hint is True, name  # type: ignore[union-attr]
    for name in ("heartbeat", "claim_task"):
        assert tools[name].annotations.idempotent_hint is True, name  # type: ignore[union-attr]
        assert tools[name].annotations.read_only_hint is False, name  # type: ignore[union-attr]
    assert tools["claim_task"].input_schema["required"] == ["task_id"]
    assert {"title", "target", "instructions", "priority"} <= set(tools["create_task"].input_schema["properties"])


async def test_list_team_agents_shows_who_is_busy(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("reviewer", role="reviewer")
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "work"})
        await call(client, "claim_task", {"task_id": task["id"]})
        listed = await call(client, "list_team_agents")
    agents = {a["name"]: a for a in listed["agents"]}
    assert set(agents) == {"manager", "builder", "reviewer"}
    assert (agents["builder"]["status"], agents["builder"]["active_task_count"]) == ("busy", 1)
    assert agents["reviewer"]["role"] == "reviewer"


async def test_an_admin_names_the_team_with_team_id(app: HubApp, world: World) -> None:
    await world.other_team()
    async with mcp_client(app, world.admin_key) as client:
        unnamed = await refused(client, "list_team_agents")
        agents = await call(client, "list_team_agents", {"teamId": world.team.id})
        task = await call(client, "create_task", {"title": "from the admin", "team_id": world.team.id})
        listed = await call(client, "get_tasks", {"team_id": world.team.id})
    assert unnamed["code"] == "invalid_input"
    assert [a["name"] for a in agents["agents"]] == ["manager"]
    assert task["team_id"] == world.team.id
    assert [t["id"] for t in listed["items"]] == [task["id"]]


async def test_create_key_makes_a_new_agent_with_the_role_and_shows_the_key_once(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        issued = await call(client, "create_key", {"program_id": "deployer", "label": "Deployer", "role": "deployer"})
        listed = await call(client, "list_keys")
    assert issued["key"].startswith("sb_")
    assert issued["agent"]["role"] == "deployer"
    assert "warning" in issued
    shown = {k["id"]: k for k in listed["keys"]}
    assert shown[issued["id"]]["label"] == "Deployer"
    assert all("key" not in k for k in listed["keys"])


async def test_an_agent_lists_only_its_own_keys(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("reviewer")
    async with mcp_client(app, builder.key) as client:
        listed = await call(client, "list_keys")
    assert [k["agent_id"] for k in listed["keys"]] == [builder.id]


async def test_a_revoked_key_no_longer_connects(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        issued = await call(client, "create_key", {"programId": "builder"})
        revoked = await call(client, "revoke_key", {"keyId": issued["id"]})
        again = await call(client, "revoke_key", {"key_id": issued["id"]})
    errors = await refused_connection(app, issued["key"])
    assert revoked["revoked_at"] is not None
    assert again["revoked_at"] == revoked["revoked_at"]
    assert errors


async def test_an_engineer_may_not_revoke_another_agents_key(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer")
    async with mcp_client(app, builder.key) as client:
        error = await refused(client, "revoke_key", {"key_id": reviewer.principal.key_id})
    async with mcp_client(app, reviewer.key) as client:
        still = await call(client, "whoami")
    assert error["code"] == "forbidden"
    assert still["name"] == "reviewer"
