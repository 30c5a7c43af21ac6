import pytest

from switchboard.errors import Conflict
from switchboard.tasks import claims
from switchboard.tasks.models import TaskDraft, TaskStatus
from tests.conftest import FakeClock, World


async def test_an_expired_lease_returns_the_task_to_ready(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t", lease_seconds=60), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    clock.advance(59)
    assert task.id not in (await hub.claims.sweep_expired_leases()).returned
    clock.advance(2)
    swept = await hub.claims.sweep_expired_leases()
    assert task.id in swept.returned
    after = (await hub.tasks.get_task(world.admin, task.id)).task
    assert (after.status, after.holder) == (TaskStatus.READY, None)


async def test_one_sweep_returns_every_expired_claim_however_many(
    world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = world.hub
    monkeypatch.setattr(claims, "SWEEP_BATCH", 3)
    builder = await world.agent("builder")
    drafts = [TaskDraft(title=f"t{i}", lease_seconds=60) for i in range(8)]
    created = await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    for task in created:
        await hub.claims.claim_task(builder.principal, task.id)
    clock.advance(61)
    swept = await hub.claims.sweep_expired_leases()
    assert sorted(swept.returned) == sorted(t.id for t in created)


async def test_heartbeat_renews_the_lease(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t", lease_seconds=60), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    for _ in range(3):
        clock.advance(45)
        await hub.claims.heartbeat(builder.principal, task.id)
    assert task.id not in (await hub.claims.sweep_expired_leases()).returned
    assert (await hub.tasks.get_task(world.admin, task.id)).task.status == TaskStatus.CLAIMED


async def test_a_task_fails_after_max_attempts_lost_leases(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    dependent_of = await hub.tasks.create_task(
        world.admin, TaskDraft(title="t", lease_seconds=10, max_attempts=2), world.team.id
    )
    dependent = await hub.tasks.create_task(
        world.admin, TaskDraft(title="u", depends_on=[dependent_of.id]), world.team.id
    )
    for _ in range(2):
        await hub.claims.claim_task(builder.principal, dependent_of.id)
        clock.advance(11)
        await hub.claims.sweep_expired_leases()
    failed = (await hub.tasks.get_task(world.admin, dependent_of.id)).task
    assert failed.status == TaskStatus.FAILED
    assert failed.result == "lease expired 2 time(s); giving up after 2"
    assert (
        await hub.tasks.get_task(world.admin, dependent.id)
    ).task.blocked_reason == f"dependency #{failed.id} failed"


async def test_a_holder_that_lost_its_lease_is_fenced_off(world: World, clock: FakeClock) -> None:
    hub = world.hub
    slow, fast = await world.agent("slow"), await world.agent("fast")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t", lease_seconds=30), world.team.id)
    first = await hub.claims.claim_task(slow.principal, task.id)
    clock.advance(31)
    with pytest.raises(Conflict, match=r"lease .* expired"):
        await hub.claims.heartbeat(slow.principal, task.id)
    await hub.claims.sweep_expired_leases()
    await hub.claims.claim_task(fast.principal, task.id)
    with pytest.raises(Conflict, match="you do not hold"):
        await hub.claims.complete_task(slow.principal, task.id, attempt=first.attempt)
    assert (await hub.tasks.get_task(world.admin, task.id)).task.holder == "fast"


async def test_a_stale_attempt_of_the_same_agent_is_refused(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t", lease_seconds=30), world.team.id)
    first = await hub.claims.claim_task(builder.principal, task.id)
    clock.advance(31)
    await hub.claims.sweep_expired_leases()
    second = await hub.claims.claim_task(builder.principal, task.id)
    assert second.attempt == first.attempt + 1
    with pytest.raises(Conflict, match="superseded by attempt 2"):
        await hub.claims.complete_task(builder.principal, task.id, attempt=first.attempt)
    assert (
        await hub.claims.complete_task(builder.principal, task.id, attempt=second.attempt)
    ).status == TaskStatus.DONE


async def test_retry_gives_a_failed_task_fresh_attempts(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(
        world.admin, TaskDraft(title="t", lease_seconds=10, max_attempts=1), world.team.id
    )
    await hub.claims.claim_task(builder.principal, task.id)
    clock.advance(11)
    assert task.id in (await hub.claims.sweep_expired_leases()).failed
    await hub.tasks.retry_task(world.admin, task.id)
    await hub.claims.claim_task(builder.principal, task.id)
    clock.advance(11)
    assert task.id in (await hub.claims.sweep_expired_leases()).failed
