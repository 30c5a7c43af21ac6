"""`switchboard mcp`: a real subprocess speaking MCP over stdin/stdout, driven by the SDK's stdio client."""

import sys

import anyio
from mcp import Client, StdioServerParameters

from switchboard.hub import Hub
from switchboard.tasks.models import TaskDraft
from tests.api.mcp_client import payload, protocol_errors
from tests.conftest import World

# A subprocess imports the whole hub before it answers; generous, but still a bound.
STARTUP_SECONDS = 30


def stdio_server(hub: Hub, key: str) -> StdioServerParameters:
    settings = hub.settings
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "switchboard", "mcp", "--database", settings.database_url, "--data-dir", str(settings.data_dir)],
        env={"SWITCHBOARD_KEY": key},
    )


async def test_an_agent_claims_and_completes_a_task_over_stdio(hub: Hub, world: World) -> None:
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="over stdio", target="builder"), world.team.id)
    with anyio.fail_after(STARTUP_SECONDS):
        async with Client(stdio_server(hub, builder.key)) as client:
            me = payload(await client.call_tool("whoami", {}))
            tools = {t.name for t in (await client.list_tools()).tools}
            claimed = payload(await client.call_tool("claim_next", {}))
            done = payload(await client.call_tool("complete_task", {"taskId": task.id, "completed_status": "SUCCESS"}))
    assert me["name"] == "builder"
    assert "claim_next" in tools
    assert "create_key" not in tools
    assert claimed["task"]["id"] == task.id
    assert done["status"] == "done"
    assert (await hub.tasks.get_task(world.admin, task.id)).task.holder == "builder"


async def test_a_stdio_server_started_with_a_revoked_key_does_not_serve(hub: Hub, world: World) -> None:
    builder = await world.agent("builder")
    await hub.keys.revoke(world.admin, builder.principal.key_id)
    errors = []
    with anyio.fail_after(STARTUP_SECONDS):
        try:
            async with Client(stdio_server(hub, builder.key)) as client:
                await client.call_tool("whoami", {})
        except Exception as exc:
            errors = protocol_errors(exc)
        else:
            raise AssertionError("the revoked key was served")
    assert [e.message for e in errors] == ["Connection closed"]
