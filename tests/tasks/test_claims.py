import pytest

from switchboard.errors import Conflict, Forbidden
from switchboard.tasks.models import TaskDraft, TaskStatus, Usage
from tests.conftest import World


async def test_claim_next_takes_the_highest_priority_then_the_oldest(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    for title, priority in [("old normal", "normal"), ("old high", "high"), ("new high", "high"), ("low", "low")]:
        await hub.tasks.create_task(world.admin, TaskDraft(title=title, priority=priority), world.team.id)
    order = []
    while (task := await hub.claims.claim_next(builder.principal)) is not None:
        order.append(task.title)
    assert order == ["old high", "new high", "old normal", "low"]


async def test_a_second_claim_of_the_same_task_names_the_holder(world: World) -> None:
    hub = world.hub
    builder, other = await world.agent("builder"), await world.agent("other")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    with pytest.raises(Conflict, match="already claimed by builder"):
        await hub.claims.claim_task(other.principal, task.id)


async def test_claiming_a_task_you_hold_returns_it_unchanged(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    first = await hub.claims.claim_task(builder.principal, task.id)
    again = await hub.claims.claim_task(builder.principal, task.id)
    assert again.attempt == first.attempt == 1
    assert again.holder == "builder"


async def test_targets_decide_who_may_claim(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder", role="engineer", groups=["builders"])
    reviewer = await world.agent("reviewer", role="reviewer", groups=["council"])
    to_builder = await hub.tasks.create_task(world.admin, TaskDraft(title="a", target="builder"), world.team.id)
    to_group = await hub.tasks.create_task(world.admin, TaskDraft(title="b", target="builders"), world.team.id)
    to_role = await hub.tasks.create_task(world.admin, TaskDraft(title="c", target="@reviewer"), world.team.id)
    to_all = await hub.tasks.create_task(world.admin, TaskDraft(title="d", target="all"), world.team.id)

    for task in (to_builder, to_group):
        with pytest.raises(Forbidden, match="does not include you"):
            await hub.claims.claim_task(reviewer.principal, task.id)
    with pytest.raises(Forbidden):
        await hub.claims.claim_task(builder.principal, to_role.id)
    assert (await hub.claims.claim_task(reviewer.principal, to_role.id)).holder == "reviewer"
    assert (await hub.claims.claim_task(reviewer.principal, to_all.id)).holder == "reviewer"
    assert (await hub.claims.claim_task(builder.principal, to_group.id)).holder == "builder"


async def test_claim_next_only_offers_tasks_aimed_at_the_caller(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    await world.agent("someone")
    await hub.tasks.create_task(
        world.admin, TaskDraft(title="theirs", target="someone", priority="critical"), world.team.id
    )
    mine = await hub.tasks.create_task(world.admin, TaskDraft(title="mine", target="builder"), world.team.id)
    claimed = await hub.claims.claim_next(builder.principal)
    assert claimed is not None and claimed.id == mine.id
    assert await hub.claims.claim_next(builder.principal) is None


async def test_an_unknown_target_is_an_error_not_a_silent_drop(world: World) -> None:
    from switchboard.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unknown target 'ghost'"):
        await world.hub.tasks.create_task(world.admin, TaskDraft(title="t", target="ghost"), world.team.id)
    with pytest.raises(InvalidInput, match="no agent in this team has role"):
        await world.hub.tasks.create_task(world.admin, TaskDraft(title="t", target="@astronaut"), world.team.id)


async def test_blocked_tasks_cannot_be_claimed(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    first = await hub.tasks.create_task(world.admin, TaskDraft(title="a"), world.team.id)
    second = await hub.tasks.create_task(world.admin, TaskDraft(title="b", depends_on=[first.id]), world.team.id)
    with pytest.raises(Conflict, match="blocked: waiting for"):
        await hub.claims.claim_task(builder.principal, second.id)


async def test_only_the_holder_or_a_manager_may_complete(world: World) -> None:
    hub = world.hub
    builder, other, manager = await world.agent("builder"), await world.agent("other"), await world.manager()
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    with pytest.raises(Conflict, match="you do not hold"):
        await hub.claims.complete_task(other.principal, task.id)
    done = await hub.claims.complete_task(manager.principal, task.id, "SUCCESS", result="closed by manager")
    assert done.status == TaskStatus.DONE


async def test_completion_records_result_and_usage(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    usage = Usage(tokens_in=1200, tokens_out=300, cost_usd=0.42, model="sonnet")
    done = await hub.claims.complete_task(builder.principal, task.id, "SUCCESS", result="PR #42", usage=usage)
    assert (done.status, done.result, done.usage, done.progress) == (TaskStatus.DONE, "PR #42", usage, 100)
    with pytest.raises(Conflict, match="already done"):
        await hub.claims.complete_task(builder.principal, task.id)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("SUCCESS", "done"), ("SKIPPED", "done"), ("FAILED", "failed"), ("CANCELLED", "cancelled")],
)
async def test_completed_status_maps_to_the_task_status(world: World, outcome: str, status: str) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    assert (await hub.claims.complete_task(builder.principal, task.id, outcome)).status.value == status


async def test_unclaim_returns_the_task_to_ready_for_others(world: World) -> None:
    hub = world.hub
    builder, other = await world.agent("builder"), await world.agent("other")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    released = await hub.claims.unclaim_task(builder.principal, task.id, reason="out of my depth")
    assert released.status == TaskStatus.READY and released.holder is None
    assert (await hub.claims.claim_task(other.principal, task.id)).attempt == 2


async def test_an_admin_key_cannot_claim(world: World) -> None:
    await world.hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    with pytest.raises(Forbidden, match="only agents claim"):
        await world.hub.claims.claim_next(world.admin)


async def test_every_change_appends_an_event(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    dependent = await hub.tasks.create_task(world.admin, TaskDraft(title="u", depends_on=[task.id]), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    await hub.tasks.update_task(builder.principal, task.id, {"progress": 50, "current_action": "testing"})
    await hub.claims.heartbeat(builder.principal, task.id)
    await hub.claims.complete_task(builder.principal, task.id)

    events = await hub.tasks.get_task_events(world.admin, task.id)
    assert [(e.kind, e.actor) for e in events] == [
        ("created", world.admin.actor),
        ("claimed", "builder"),
        ("updated", "builder"),
        ("completed", "builder"),
    ]
    assert events[2].data == {"progress": 50, "current_action": "testing"}
    assert [e.kind for e in await hub.tasks.get_task_events(world.admin, dependent.id)] == ["created", "unblocked"]


async def test_claim_next_follows_the_groups_an_agent_is_in_as_they_change(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder", groups=["builders"])
    await hub.tasks.create_task(world.admin, TaskDraft(title="for the council", target="council"), world.team.id)
    assert await hub.claims.claim_next(builder.principal) is None
    await hub.teams.add_group_members(world.admin, world.team.id, "council", ["builder"])
    joined = await hub.keys.authenticate(builder.key)
    assert (await hub.claims.claim_next(joined)) is not None
    await hub.tasks.create_task(world.admin, TaskDraft(title="for the council too", target="council"), world.team.id)
    await hub.teams.remove_group_members(world.admin, world.team.id, "council", ["builder"])
    left = await hub.keys.authenticate(builder.key)
    assert await hub.claims.claim_next(left) is None
