import asyncio
import itertools

import anyio
import pytest

from switchboard.errors import Conflict, InvalidInput
from switchboard.tasks.models import TaskDraft, TaskStatus
from switchboard.tasks.service import TaskFilters
from tests.conftest import World


async def test_a_batch_wires_dependencies_by_reference_and_by_id(world: World) -> None:
    hub = world.hub
    existing = await hub.tasks.create_task(world.admin, TaskDraft(title="design"), world.team.id)
    drafts = [
        TaskDraft(title="migration", ref="db", depends_on=[existing.id]),
        TaskDraft(title="endpoints", ref="api", depends_on=["db"]),
        TaskDraft(title="bell", depends_on=["api", str(existing.id)]),
    ]
    created = await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    db, api, bell = created
    assert api.depends_on == (db.id,)
    assert set(bell.depends_on) == {api.id, existing.id}
    assert all(t.status == TaskStatus.BLOCKED for t in created)


async def test_a_cycle_in_a_batch_is_refused_and_nothing_is_created(world: World) -> None:
    hub = world.hub
    drafts = [
        TaskDraft(title="a", ref="a", depends_on=["c"]),
        TaskDraft(title="b", ref="b", depends_on=["a"]),
        TaskDraft(title="c", ref="c", depends_on=["b"]),
    ]
    with pytest.raises(InvalidInput, match="dependency cycle"):
        await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    assert (await hub.tasks.list_tasks(world.admin, TaskFilters(), world.team.id)).items == ()


async def test_one_invalid_item_refuses_the_whole_batch(world: World) -> None:
    hub = world.hub
    drafts = [TaskDraft(title="fine"), TaskDraft(title="bad target", target="nobody-by-this-name")]
    with pytest.raises(InvalidInput, match="unknown target"):
        await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    assert (await hub.tasks.list_tasks(world.admin, TaskFilters(), world.team.id)).items == ()


async def test_a_batch_over_a_thousand_tasks_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput, match="at most 1000"):
        await world.hub.tasks.create_tasks_batch(world.admin, [TaskDraft(title="t")] * 1001, world.team.id)


async def test_a_batch_of_a_thousand_tasks_is_created_in_one_go(world: World) -> None:
    drafts = [TaskDraft(title=f"t{i}", ref=f"t{i}", depends_on=[f"t{i - 1}"] if i else []) for i in range(1000)]
    created = await world.hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    assert len(created) == 1000
    assert created[0].status == TaskStatus.READY
    assert created[-1].depends_on == (created[-2].id,)


async def test_a_repeated_idempotency_key_returns_the_first_result(world: World) -> None:
    hub = world.hub
    first = await hub.tasks.create_task(world.admin, TaskDraft(title="once"), world.team.id, idempotency_key="k1")
    again = await hub.tasks.create_task(world.admin, TaskDraft(title="once"), world.team.id, idempotency_key="k1")
    assert again.id == first.id
    assert len((await hub.tasks.list_tasks(world.admin, TaskFilters(), world.team.id)).items) == 1


async def test_an_idempotency_key_reused_with_another_body_is_a_conflict(world: World) -> None:
    hub = world.hub
    await hub.tasks.create_task(world.admin, TaskDraft(title="once"), world.team.id, idempotency_key="k2")
    with pytest.raises(Conflict, match="different request"):
        await hub.tasks.create_task(world.admin, TaskDraft(title="twice"), world.team.id, idempotency_key="k2")


async def test_another_agent_reusing_an_idempotency_key_is_refused_not_given_the_first_task(world: World) -> None:
    hub = world.hub
    alice, bob = await world.agent("alice"), await world.agent("bob")
    await hub.tasks.create_task(alice.principal, TaskDraft(title="same"), idempotency_key="shared")
    with pytest.raises(Conflict, match="different request"):
        await hub.tasks.create_task(bob.principal, TaskDraft(title="same"), idempotency_key="shared")


async def test_blocked_reasons_in_a_batch_name_task_ids_not_refs(world: World) -> None:
    drafts = [TaskDraft(title="a", ref="first"), TaskDraft(title="b", depends_on=["first"])]
    first, second = await world.hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    assert second.blocked_reason == f"waiting for #{first.id}"


async def test_batches_created_at_once_each_get_fresh_ids_in_item_order(world: World) -> None:
    hub = world.hub

    def drafts(n: int) -> list[TaskDraft]:
        # The first item names the last as its parent: a reference forward within the batch.
        return [
            TaskDraft(title=f"b{n} feature", ref="feature", parent_id="step-9"),
            *(
                TaskDraft(title=f"b{n} step {i}", ref=f"step-{i}", depends_on=[f"step-{i - 1}"] if i else ["feature"])
                for i in range(10)
            ),
        ]

    batches = await asyncio.gather(
        *(hub.tasks.create_tasks_batch(world.admin, drafts(n), world.team.id) for n in range(6))
    )
    ids = [t.id for batch in batches for t in batch]
    assert len(set(ids)) == len(ids) == 66
    for n, batch in enumerate(batches):
        assert [t.id for t in batch] == sorted(t.id for t in batch)
        assert [t.title for t in batch] == [d.title for d in drafts(n)]
        feature, *steps = batch
        assert feature.parent_id == steps[-1].id
        assert steps[0].depends_on == (feature.id,)
        assert all(later.depends_on == (earlier.id,) for earlier, later in itertools.pairwise(steps))
        assert steps[3].blocked_reason == f"waiting for #{steps[2].id}"
    after = await hub.tasks.create_task(world.admin, TaskDraft(title="after"), world.team.id)
    assert after.id > max(ids)


async def test_a_batch_answers_with_its_tasks_exactly_as_they_read_back(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    done = await hub.tasks.create_task(world.admin, TaskDraft(title="done before"), world.team.id)
    open_one = await hub.tasks.create_task(world.admin, TaskDraft(title="still open"), world.team.id)
    await hub.claims.claim_task(builder.principal, done.id)
    await hub.claims.complete_task(builder.principal, done.id, "SUCCESS")
    drafts = [
        TaskDraft(title="  child first  ", ref="child", parent_id="parent", depends_on=[done.id]),
        TaskDraft(
            title="parent",
            ref="parent",
            instructions="do it well",
            priority="high",
            target="builder",
            task_type="feature",
            tags=["api", "db"],
            lease_seconds=600,
            max_attempts=5,
            depends_on=["child", open_one.id],
        ),
        TaskDraft(title="under an existing task", parent_id=open_one.id, target="@engineer"),
    ]
    created = await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    read_back = [(await hub.tasks.get_task(world.admin, t.id)).task for t in created]
    assert [t.to_json() for t in created] == [t.to_json() for t in read_back]
    child, parent, _ = created
    assert child.parent_id == parent.id and parent.blocked_reason == f"waiting for #{child.id}, #{open_one.id}"


async def test_a_batch_with_a_cycle_is_refused_without_waiting_for_a_busy_writer(world: World) -> None:
    hub = world.hub
    cyclic = [TaskDraft(title="a", ref="a", depends_on=["b"]), TaskDraft(title="b", ref="b", depends_on=["a"])]
    holding, release = anyio.Event(), anyio.Event()

    async def hold_the_writer() -> None:
        # On SQLite a write transaction holds the whole database until it ends.
        async with hub.db.write():
            holding.set()
            await release.wait()

    async with anyio.create_task_group() as group:
        group.start_soon(hold_the_writer)
        await holding.wait()
        with anyio.fail_after(5), pytest.raises(InvalidInput, match="dependency cycle"):
            await hub.tasks.create_tasks_batch(world.admin, cyclic, world.team.id)
        release.set()
