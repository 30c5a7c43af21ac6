"""/metrics: the hub's series in Prometheus text, moving as the hub works."""

from __future__ import annotations

import anyio
import httpx
import pytest

from switchboard.api.app import HubApp
from switchboard.dispatch.models import TurnStatus
from switchboard.errors import Conflict
from switchboard.hub import running_hub
from switchboard.storage.notifier import PostgresNotifier
from switchboard.tasks.models import TaskDraft, TaskStatus
from tests.api.mcp_client import call, mcp_client
from tests.conftest import FakeClock, World, auth
from tests.dispatch.conftest import Scene, dispatching
from tests.ops.series import sample, scrape


async def test_metrics_count_tasks_by_status_for_each_team(world: World, http: httpx.AsyncClient) -> None:
    builder = await world.agent("builder")
    for title in ("a", "b", "c"):
        await world.hub.tasks.create_task(world.admin, TaskDraft(title=title), world.team.id)
    await world.hub.claims.claim_next(builder.principal)

    text = await scrape(http)

    team = str(world.team.id)
    assert sample(text, "switchboard_tasks", team_id=team, status=TaskStatus.READY.value) == 2
    assert sample(text, "switchboard_tasks", team_id=team, status=TaskStatus.CLAIMED.value) == 1


async def test_a_claim_moves_the_claims_counter_and_a_refused_claim_the_conflicts(
    world: World, http: httpx.AsyncClient
) -> None:
    builder, rival = await world.agent("builder"), await world.agent("rival")
    task = await world.hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    before = await scrape(http)

    await world.hub.claims.claim_task(builder.principal, task.id)
    with pytest.raises(Conflict):
        await world.hub.claims.claim_task(rival.principal, task.id)

    after = await scrape(http)
    assert sample(after, "switchboard_claims_total") == sample(before, "switchboard_claims_total") + 1
    conflicts = "switchboard_claim_conflicts_total"
    assert sample(after, conflicts) == sample(before, conflicts) + 1


async def test_the_lease_sweep_counts_expired_leases(world: World, clock: FakeClock, http: httpx.AsyncClient) -> None:
    builder = await world.agent("builder")
    task = await world.hub.tasks.create_task(world.admin, TaskDraft(title="t", lease_seconds=60), world.team.id)
    await world.hub.claims.claim_task(builder.principal, task.id)
    before = sample(await scrape(http), "switchboard_lease_expiries_total")

    clock.advance(61)
    await world.hub.housekeeping()

    # Other tests' leases in the shared database may expire in the same sweep.
    assert sample(await scrape(http), "switchboard_lease_expiries_total") >= before + 1
    assert (await world.hub.tasks.get_task(world.admin, task.id)).task.status == TaskStatus.READY


async def test_a_waiter_woken_by_a_change_is_timed(world: World, http: httpx.AsyncClient) -> None:
    builder = await world.agent("builder")
    hub = world.hub
    before = sample(await scrape(http), "switchboard_wake_latency_seconds_count")

    async with anyio.create_task_group() as group:
        group.start_soon(hub.claims.claim_next, builder.principal, None, 10.0)
        with anyio.fail_after(5):
            while hub.notifier.waiting(world.team.id) == 0:
                await anyio.sleep(0.005)
        await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)

    assert sample(await scrape(http), "switchboard_wake_latency_seconds_count") >= before + 1


async def test_calls_waiting_for_a_change_are_counted_while_they_wait(world: World, http: httpx.AsyncClient) -> None:
    builder = await world.agent("builder")
    hub = world.hub

    async with anyio.create_task_group() as group:
        group.start_soon(hub.claims.claim_next, builder.principal, None, 10.0)
        with anyio.fail_after(5):
            while hub.notifier.waiting(world.team.id) == 0:
                await anyio.sleep(0.005)
        assert sample(await scrape(http), "switchboard_waiting_calls") == 1
        await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)

    assert sample(await scrape(http), "switchboard_waiting_calls") == 0


@pytest.mark.postgres
async def test_notifications_from_another_hub_are_counted(world: World, http: httpx.AsyncClient) -> None:
    hub = world.hub
    assert isinstance(hub.notifier, PostgresNotifier)
    with anyio.fail_after(5):
        await hub.notifier.listening.wait()
    before = await scrape(http)
    assert sample(before, "switchboard_listener_connections_total") >= 1

    async with running_hub(hub.settings) as other:
        subscription = hub.notifier.subscribe(world.team.id)
        await other.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
        with anyio.fail_after(5):
            assert await subscription.wait(5)

    heard = "switchboard_notifications_heard_total"
    assert sample(await scrape(http), heard) == sample(before, heard) + 1


async def test_tool_calls_and_rest_routes_are_timed_by_name(app: HubApp, world: World, http: httpx.AsyncClient) -> None:
    builder = await world.agent("builder")

    async with mcp_client(app, builder.key) as client:
        await call(client, "whoami")
    task = await world.hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    assert (await http.get(f"/api/v1/tasks/{task.id}", headers=auth(builder.key))).status_code == 200

    text = await scrape(http)
    assert sample(text, "switchboard_mcp_tool_duration_seconds_count", tool="whoami") == 1
    route = {"method": "GET", "route": "/api/v1/tasks/{task_id}", "status": "200"}
    assert sample(text, "switchboard_http_request_duration_seconds_count", **route) == 1


async def test_a_dispatched_turn_moves_turns_ended_by_outcome(scene: Scene) -> None:
    hub = scene.hub
    ended = "switchboard_turns_ended_total"
    await scene.agent("builder")

    async with dispatching(hub):
        await hub.tasks.create_task(scene.admin, TaskDraft(title="t", target="builder"), scene.team.id)
        (turn,) = await scene.ended_turns("builder", 1)

    assert turn.status == TurnStatus.SUCCEEDED
    text = hub.metrics.exposition().decode()
    assert sample(text, ended, outcome=TurnStatus.SUCCEEDED.value) == 1
