"""Claiming, heartbeats, completion and giving back, through the MCP tools."""

from switchboard.api.app import HubApp
from switchboard.hub import Hub
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import FakeClock, World


async def test_claim_next_takes_the_highest_priority_ready_task_aimed_at_the_caller(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as boss:
        await call(boss, "create_task", {"title": "low", "target": "builder", "priority": "low"})
        await call(boss, "create_task", {"title": "urgent", "target": "builder", "priority": "critical"})
    async with mcp_client(app, builder.key) as client:
        first = await call(client, "claim_next")
        second = await call(client, "claim_next")
        third = await call(client, "claim_next")
    assert first["task"]["title"] == "urgent"
    assert first["task"]["holder"] == "builder"
    assert first["task"]["attempt"] == 1
    assert second["task"]["title"] == "low"
    assert third == {"task": None}


async def test_claiming_a_task_you_hold_returns_it_and_another_claimer_learns_the_holder(
    app: HubApp, world: World
) -> None:
    alice = await world.agent("alice")
    bob = await world.agent("bob")
    async with mcp_client(app, alice.key) as client:
        task = await call(client, "create_task", {"title": "shared"})
        first = await call(client, "claim_task", {"task_id": task["id"]})
        again = await call(client, "claim_task", {"task_id": task["id"]})
    async with mcp_client(app, bob.key) as client:
        error = await refused(client, "claim_task", {"taskId": task["id"]})
    assert first["holder"] == again["holder"] == "alice"
    assert again["attempt"] == first["attempt"] == 1
    assert error["code"] == "conflict"
    assert "alice" in error["message"]
    assert error["details"]["holder"] == "alice"


async def test_a_task_aimed_at_someone_else_cannot_be_claimed(app: HubApp, world: World) -> None:
    await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as boss:
        task = await call(boss, "create_task", {"title": "build it", "target": "builder"})
    async with mcp_client(app, reviewer.key) as client:
        error = await refused(client, "claim_task", {"task_id": task["id"]})
        nothing = await call(client, "claim_next")
    assert error["code"] == "forbidden"
    assert nothing == {"task": None}


async def test_heartbeat_pushes_the_lease_forward(app: HubApp, world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "long job", "lease_seconds": 600})
        claimed = await call(client, "claim_task", {"task_id": task["id"]})
        clock.advance(300)
        beat = await call(client, "heartbeat", {"taskId": task["id"], "attempt": claimed["attempt"]})
    assert beat["lease_expires_at"] > claimed["lease_expires_at"]
    assert beat["status"] == "claimed"


async def test_completing_with_failure_records_the_result_and_usage(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "try it"})
        await call(client, "claim_task", {"task_id": task["id"]})
        done = await call(
            client,
            "complete_task",
            {
                "task_id": task["id"],
                "completed_status": "FAILED",
                "result": "tests do not pass",
                "tokens_in": 1200,
                "tokens_out": 300,
                "cost_usd": 0.25,
                "model": "sonnet",
            },
        )
        again = await refused(client, "complete_task", {"task_id": task["id"]})
    assert done["status"] == "failed"
    assert done["result"] == "tests do not pass"
    assert done["usage"] == {"tokens_in": 1200, "tokens_out": 300, "cost_usd": 0.25, "model": "sonnet"}
    assert again["code"] == "conflict"


async def test_completing_a_dependency_unblocks_the_task_waiting_for_it(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        first = await call(client, "create_task", {"title": "first"})
        second = await call(client, "create_task", {"title": "second", "depends_on": [first["id"]]})
        blocked = await refused(client, "claim_task", {"task_id": second["id"]})
        await call(client, "claim_task", {"task_id": first["id"]})
        await call(client, "complete_task", {"task_id": first["id"]})
        now = await call(client, "get_task", {"task_id": second["id"]})
    assert second["status"] == "blocked"
    assert blocked["code"] == "conflict"
    assert "blocked" in blocked["message"]
    assert now["status"] == "ready"


async def test_unclaiming_gives_the_task_back_to_the_queue(app: HubApp, world: World) -> None:
    alice = await world.agent("alice")
    bob = await world.agent("bob")
    async with mcp_client(app, alice.key) as client:
        task = await call(client, "create_task", {"title": "not for me"})
        await call(client, "claim_task", {"task_id": task["id"]})
        back = await call(client, "unclaim_task", {"task_id": task["id"], "reason": "needs a frontend person"})
    async with mcp_client(app, bob.key) as client:
        not_held = await refused(client, "unclaim_task", {"task_id": task["id"]})
        taken = await call(client, "claim_next")
    assert back["status"] == "ready"
    assert back["holder"] is None
    assert not_held["code"] == "conflict"
    assert taken["task"]["id"] == task["id"]
    assert taken["task"]["attempt"] == 2


async def test_a_holder_whose_lease_expired_is_fenced_off_after_the_sweep(
    app: HubApp, world: World, hub: Hub, clock: FakeClock
) -> None:
    alice = await world.agent("alice")
    bob = await world.agent("bob")
    async with mcp_client(app, alice.key) as client:
        task = await call(client, "create_task", {"title": "slow", "lease_seconds": 60})
        stale = await call(client, "claim_task", {"task_id": task["id"]})
    clock.advance(61)
    swept = await hub.claims.sweep_expired_leases()
    async with mcp_client(app, bob.key) as client:
        fresh = await call(client, "claim_next")
    async with mcp_client(app, alice.key) as client:
        progress = await refused(
            client, "update_task", {"task_id": task["id"], "progress": 90, "attempt": stale["attempt"]}
        )
        beat = await refused(client, "heartbeat", {"task_id": task["id"], "attempt": stale["attempt"]})
        finish = await refused(client, "complete_task", {"task_id": task["id"], "attempt": stale["attempt"]})
    # The session database is shared: other tests' expired leases may be swept too.
    assert task["id"] in swept.returned
    assert fresh["task"]["holder"] == "bob"
    assert fresh["task"]["attempt"] == 2
    assert progress["code"] == beat["code"] == finish["code"] == "conflict"


async def test_an_expired_lease_refuses_the_holder_even_before_the_sweep(
    app: HubApp, world: World, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "slow", "lease_seconds": 60})
        await call(client, "claim_task", {"task_id": task["id"]})
        clock.advance(61)
        error = await refused(client, "heartbeat", {"task_id": task["id"]})
    assert error["code"] == "conflict"
    assert "expired" in error["message"]
