"""The CacheBash seed's task and key tool calls, with its argument names exactly as written."""

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client
from tests.conftest import World


async def test_the_seed_workflow_runs_as_written_from_key_to_completed_task(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key, path="/v1/mcp") as architect:
        issued = await call(architect, "create_key", {"programId": "builder", "label": "Builder Agent — Claude Code"})
        created = await call(
            architect,
            "create_task",
            {
                "title": "Add /api/users endpoint",
                "target": "builder",
                "instructions": "GET and POST handlers. Return user list and create user. Use Zod for validation.",
                "priority": "high",
            },
        )
    assert issued["program_id"] == "builder"
    assert issued["label"] == "Builder Agent — Claude Code"
    assert created["status"] == "ready"
    assert created["priority"] == "high"

    async with mcp_client(app, issued["key"], path="/v1/mcp") as builder:
        pending = await call(builder, "get_tasks", {"target": "builder", "status": "created"})
        task_id = str(pending["items"][0]["id"])
        claimed = await call(builder, "claim_task", {"taskId": task_id})
        completed = await call(builder, "complete_task", {"taskId": task_id, "completed_status": "SUCCESS"})
        left = await call(builder, "get_tasks", {"target": "builder", "status": "created"})

    assert [t["title"] for t in pending["items"]] == ["Add /api/users endpoint"]
    assert claimed["status"] == "claimed"
    assert claimed["holder"] == "builder"
    assert completed["status"] == "done"
    assert completed["completed_status"] == "SUCCESS"
    assert left["items"] == []


async def test_the_seed_key_works_at_the_seed_url_with_the_agent_it_names(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        issued = await call(client, "create_key", {"programId": "reviewer", "label": "Reviewer"})
    async with mcp_client(app, issued["key"], path="/v1/mcp") as reviewer:
        me = await call(reviewer, "whoami")
    assert me["name"] == "reviewer"
    assert me["team_id"] == world.team.id
