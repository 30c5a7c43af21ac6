"""Refused calls come back as tool errors carrying the error JSON, and change nothing."""

from datetime import timedelta

import httpx

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused, refused_connection
from tests.conftest import FakeClock, World, auth


async def test_a_task_of_another_team_is_not_found(app: HubApp, world: World) -> None:
    ours = await world.agent("builder")
    other = await world.other_team()
    outsider = await other.agent("spy")
    async with mcp_client(app, ours.key) as client:
        task = await call(client, "create_task", {"title": "ours"})
    async with mcp_client(app, outsider.key) as client:
        errors = [
            await refused(client, tool, {"task_id": task["id"]})
            for tool in ("get_task", "claim_task", "get_task_events", "cancel_task", "complete_task")
        ]
        agents = await refused(client, "list_team_agents", {"team_id": world.team.id})
        tasks = await refused(client, "get_tasks", {"team_id": world.team.id})
    for error in [*errors, agents, tasks]:
        assert error["code"] == "not_found"
        assert "ours" not in error["message"]


async def test_an_engineer_may_not_create_keys(app: HubApp, world: World) -> None:
    engineer = await world.agent("builder")
    async with mcp_client(app, engineer.key) as client:
        error = await refused(client, "create_key", {"programId": "intruder", "label": "x"})
        agents = await call(client, "list_team_agents")
    assert error["code"] == "forbidden"
    assert "intruder" not in {a["name"] for a in agents["agents"]}


async def test_an_unknown_target_is_refused_and_nothing_is_created(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        error = await refused(client, "create_task", {"title": "lost", "target": "ghost"})
        listed = await call(client, "get_tasks")
    assert error["code"] == "invalid_input"
    assert error["details"]["target"] == "ghost"
    assert listed["items"] == []


async def test_an_unknown_dependency_is_refused(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        error = await refused(client, "create_task", {"title": "waits", "depends_on": [987654321]})
        batch = await refused(client, "create_tasks_batch", {"tasks": [{"title": "a", "depends_on": ["nope"]}]})
        listed = await call(client, "get_tasks")
    assert error["code"] == "invalid_input"
    assert error["details"]["unknown"] == [987654321]
    assert batch["code"] == "invalid_input"
    assert listed["items"] == []


async def test_a_dependency_of_another_team_is_refused(app: HubApp, world: World) -> None:
    other = await world.other_team()
    theirs = await other.agent("them")
    ours = await world.agent("us")
    async with mcp_client(app, theirs.key) as client:
        foreign = await call(client, "create_task", {"title": "theirs"})
    async with mcp_client(app, ours.key) as client:
        error = await refused(client, "create_task", {"title": "ours", "depends_on": [foreign["id"]]})
    assert error["code"] == "invalid_input"


async def test_an_oversize_title_is_refused_as_too_large(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        error = await refused(client, "create_task", {"title": "x" * 501})
        batch = await refused(client, "create_tasks_batch", {"tasks": [{"title": "fine"}, {"title": "y" * 501}]})
        listed = await call(client, "get_tasks")
    assert error["code"] == batch["code"] == "too_large"
    assert error["details"] == {"field": "title", "limit": 500, "size": 501}
    assert listed["items"] == []


async def test_an_idempotency_key_replays_the_same_call_and_refuses_a_different_one(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        first = await call(client, "create_task", {"title": "once", "idempotency_key": "k-1"})
        repeat = await call(client, "create_task", {"title": "once", "idempotencyKey": "k-1"})
        conflict = await refused(client, "create_task", {"title": "twice", "idempotency_key": "k-1"})
        batch = await call(client, "create_tasks_batch", {"tasks": [{"title": "b"}], "idempotency_key": "k-2"})
        batch_again = await call(client, "create_tasks_batch", {"tasks": [{"title": "b"}], "idempotency_key": "k-2"})
        listed = await call(client, "get_tasks")
    assert repeat["id"] == first["id"]
    assert conflict["code"] == "conflict"
    assert batch_again["tasks"][0]["id"] == batch["tasks"][0]["id"]
    assert len(listed["items"]) == 2


async def test_arguments_of_the_wrong_type_are_refused_in_the_same_error_shape(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        error = await refused(client, "claim_task", {"taskId": "abc123"})
        missing = await refused(client, "create_task", {})
    assert error["code"] == missing["code"] == "invalid_input"
    assert "task_id" in error["message"]
    assert "title" in missing["message"]


async def test_an_expired_key_is_refused_with_401(
    app: HubApp, world: World, clock: FakeClock, http: httpx.AsyncClient
) -> None:
    issued = await world.hub.keys.create_key(
        world.admin, world.team.id, "temp", "short-lived", expires_at=clock.now + timedelta(minutes=5)
    )
    async with mcp_client(app, issued.plaintext) as client:
        before = await call(client, "whoami")
    clock.advance(301)
    errors = await refused_connection(app, issued.plaintext)
    response = await http.post("/mcp", headers=auth(issued.plaintext), json={})
    assert before["name"] == "temp"
    assert errors
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "expired" in response.json()["error"]["message"]


async def test_a_missing_or_unknown_key_is_refused(app: HubApp, http: httpx.AsyncClient) -> None:
    assert await refused_connection(app, "sb_not-a-real-key")
    response = await http.post("/v1/mcp", json={})
    assert response.status_code == 401


async def test_a_lease_or_attempts_of_zero_is_refused_as_rest_refuses_it(app: HubApp, world: World) -> None:
    # Leaving either out takes the team's default; zero is out of range, whichever transport sends it.
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        lease = await refused(client, "create_task", {"title": "no lease", "lease_seconds": 0})
        attempts = await refused(client, "create_task", {"title": "no attempts", "max_attempts": 0})
        tasks = await call(client, "get_tasks", {})
    assert (lease["code"], lease["details"]["field"]) == ("invalid_input", "lease_seconds")
    assert (attempts["code"], attempts["details"]["field"]) == ("invalid_input", "max_attempts")
    assert tasks["items"] == []
