"""Team limits on claims: the daily cost limit and the cap on agents holding claims at once."""

import anyio
import pytest

from switchboard.errors import LimitExceeded
from switchboard.hub import Hub
from switchboard.tasks.models import TaskDraft, TaskStatus, Usage
from switchboard.tasks.service import TaskFilters
from tests.conftest import FakeClock, World

DAY = 86400


async def test_a_claim_over_the_daily_cost_limit_is_refused_and_changes_nothing(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.teams.update_settings(world.admin, world.team.id, {"daily_cost_limit_usd": 10.0})
    await hub.usage.report_usage(builder.principal, Usage(1, 1, 10.2))

    with pytest.raises(LimitExceeded) as refusal:
        await hub.claims.claim_task(builder.principal, task.id)
    assert refusal.value.message == (
        "team daily cost limit reached: spent $10.20 of $10.00 today (daily_cost_limit_usd)"
    )
    assert refusal.value.details == {"limit": "daily_cost_limit_usd", "value": 10.0, "current": 10.2}
    with pytest.raises(LimitExceeded, match="daily_cost_limit_usd"):
        await hub.claims.claim_next(builder.principal)
    after = (await hub.tasks.get_task(world.admin, task.id)).task
    assert (after.status, after.holder, after.attempt) == (TaskStatus.READY, None, 0)
    assert [e.kind for e in await hub.tasks.get_task_events(world.admin, task.id)] == ["created"]


async def test_spend_below_the_limit_and_yesterdays_spend_do_not_block_claims(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    await hub.teams.update_settings(world.admin, world.team.id, {"daily_cost_limit_usd": 10.0})
    await hub.usage.report_usage(builder.principal, Usage(1, 1, 9.99))
    first = await hub.tasks.create_task(world.admin, TaskDraft(title="a"), world.team.id)
    assert (await hub.claims.claim_task(builder.principal, first.id)).holder == "builder"
    await hub.claims.complete_task(builder.principal, first.id, usage=Usage(1, 1, 0.01))
    second = await hub.tasks.create_task(world.admin, TaskDraft(title="b"), world.team.id)
    with pytest.raises(LimitExceeded):
        await hub.claims.claim_task(builder.principal, second.id)
    clock.advance(DAY)
    assert (await hub.claims.claim_task(builder.principal, second.id)).holder == "builder"


async def test_at_the_concurrency_cap_a_new_agent_is_refused_but_a_holder_may_claim_more(world: World) -> None:
    hub = world.hub
    first, second, third = [await world.agent(n) for n in ("first", "second", "third")]
    tasks = [await hub.tasks.create_task(world.admin, TaskDraft(title=f"t{i}"), world.team.id) for i in range(4)]
    await hub.teams.update_settings(world.admin, world.team.id, {"max_concurrent_agents": 2})
    await hub.claims.claim_task(first.principal, tasks[0].id)
    await hub.claims.claim_task(second.principal, tasks[1].id)

    with pytest.raises(LimitExceeded) as refusal:
        await hub.claims.claim_task(third.principal, tasks[2].id)
    assert "max_concurrent_agents" in refusal.value.message
    assert refusal.value.details == {"limit": "max_concurrent_agents", "value": 2, "current": 2}
    with pytest.raises(LimitExceeded):
        await hub.claims.claim_next(third.principal)
    assert (await hub.claims.claim_task(first.principal, tasks[2].id)).holder == "first"
    assert (await hub.claims.claim_next(second.principal)) is not None
    await hub.claims.complete_task(second.principal, tasks[1].id)
    await hub.claims.complete_task(second.principal, tasks[3].id)
    assert (await hub.tasks.get_task(world.admin, tasks[0].id)).task.holder == "first"
    again = await hub.tasks.create_task(world.admin, TaskDraft(title="again"), world.team.id)
    assert (await hub.claims.claim_task(third.principal, again.id)).holder == "third"


async def test_re_claiming_a_held_task_stays_a_no_op_over_the_limit(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    await hub.teams.update_settings(world.admin, world.team.id, {"daily_cost_limit_usd": 0.0})
    assert (await hub.claims.claim_task(builder.principal, task.id)).attempt == 1


async def test_two_agents_racing_for_the_last_slot_cannot_both_pass_the_cap(world: World) -> None:
    hub = world.hub
    racers = [await world.agent(f"racer-{i}") for i in range(8)]
    for i in range(8):
        await hub.tasks.create_task(world.admin, TaskDraft(title=f"t{i}"), world.team.id)
    await hub.teams.update_settings(world.admin, world.team.id, {"max_concurrent_agents": 1})
    # Separate engines, so the claims really run at once on PostgreSQL (and contend through SQLite's file lock).
    hubs = [Hub(hub.settings) for _ in range(4)]
    winners: list[str] = []
    refused: list[str] = []

    async def race(index: int) -> None:
        try:
            await hubs[index % 4].claims.claim_next(racers[index].principal)
            winners.append(racers[index].name)
        except LimitExceeded:
            refused.append(racers[index].name)

    try:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(len(racers)):
                    tg.start_soon(race, i)
    finally:
        for other in hubs:
            await other.close()
    assert len(winners) == 1
    assert len(refused) == len(racers) - 1
    claimed = await hub.tasks.list_tasks(world.admin, TaskFilters(), world.team.id)
    assert {t.holder for t in claimed.items if t.status == TaskStatus.CLAIMED} == set(winners)
