import pytest

from switchboard.errors import InvalidInput
from switchboard.tasks.models import TaskDraft, TaskStatus
from switchboard.tasks.service import TaskFilters
from tests.conftest import World


async def test_a_task_with_an_unfinished_dependency_is_blocked_until_it_is_done(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    first = await hub.tasks.create_task(world.admin, TaskDraft(title="schema"), world.team.id)
    second = await hub.tasks.create_task(world.admin, TaskDraft(title="api", depends_on=[first.id]), world.team.id)
    assert first.status == TaskStatus.READY
    assert second.status == TaskStatus.BLOCKED
    assert second.blocked_reason == f"waiting for #{first.id}"

    claimed = await hub.claims.claim_next(builder.principal)
    assert claimed is not None and claimed.id == first.id
    await hub.claims.complete_task(builder.principal, first.id, "SUCCESS")

    after = (await hub.tasks.get_task(world.admin, second.id)).task
    assert after.status == TaskStatus.READY
    assert after.blocked_reason is None


async def test_a_task_waits_for_every_dependency(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    a = await hub.tasks.create_task(world.admin, TaskDraft(title="a"), world.team.id)
    b = await hub.tasks.create_task(world.admin, TaskDraft(title="b"), world.team.id)
    both = await hub.tasks.create_task(world.admin, TaskDraft(title="c", depends_on=[a.id, b.id]), world.team.id)
    await hub.claims.claim_task(builder.principal, a.id)
    await hub.claims.complete_task(builder.principal, a.id)
    assert (await hub.tasks.get_task(world.admin, both.id)).task.status == TaskStatus.BLOCKED
    await hub.claims.claim_task(builder.principal, b.id)
    await hub.claims.complete_task(builder.principal, b.id, "SKIPPED")
    assert (await hub.tasks.get_task(world.admin, both.id)).task.status == TaskStatus.READY


async def test_an_unknown_dependency_is_refused_and_nothing_is_created(world: World) -> None:
    hub = world.hub
    with pytest.raises(InvalidInput, match="unknown task 999999"):
        await hub.tasks.create_task(world.admin, TaskDraft(title="x", depends_on=[999999]), world.team.id)
    page = await hub.tasks.list_tasks(world.admin, TaskFilters(), world.team.id)
    assert page.items == ()


async def test_a_dependency_in_another_team_is_refused_as_unknown(world: World) -> None:
    hub = world.hub
    other = await world.other_team()
    foreign = await hub.tasks.create_task(world.admin, TaskDraft(title="theirs"), other.team.id)
    with pytest.raises(InvalidInput, match=f"unknown task {foreign.id}"):
        await hub.tasks.create_task(world.admin, TaskDraft(title="x", depends_on=[foreign.id]), world.team.id)


async def test_a_failed_dependency_leaves_dependents_blocked_with_the_reason_until_retried(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    first = await hub.tasks.create_task(world.admin, TaskDraft(title="schema"), world.team.id)
    second = await hub.tasks.create_task(world.admin, TaskDraft(title="api", depends_on=[first.id]), world.team.id)
    await hub.claims.claim_task(builder.principal, first.id)
    await hub.claims.complete_task(builder.principal, first.id, "FAILED", result="migration broke")

    blocked = (await hub.tasks.get_task(world.admin, second.id)).task
    assert blocked.status == TaskStatus.BLOCKED
    assert blocked.blocked_reason == f"dependency #{first.id} failed"

    retried = await hub.tasks.retry_task(world.admin, first.id)
    assert retried.status == TaskStatus.READY
    assert (await hub.tasks.get_task(world.admin, second.id)).task.blocked_reason == f"waiting for #{first.id}"
    await hub.claims.claim_task(builder.principal, first.id)
    await hub.claims.complete_task(builder.principal, first.id)
    assert (await hub.tasks.get_task(world.admin, second.id)).task.status == TaskStatus.READY


async def test_cancel_with_cascade_cancels_every_open_dependent(world: World) -> None:
    hub = world.hub
    a = await hub.tasks.create_task(world.admin, TaskDraft(title="a"), world.team.id)
    b = await hub.tasks.create_task(world.admin, TaskDraft(title="b", depends_on=[a.id]), world.team.id)
    c = await hub.tasks.create_task(world.admin, TaskDraft(title="c", depends_on=[b.id]), world.team.id)
    unrelated = await hub.tasks.create_task(world.admin, TaskDraft(title="d"), world.team.id)

    cancelled = await hub.tasks.cancel_task(world.admin, a.id, cascade=True)

    assert {t.id for t in cancelled} == {a.id, b.id, c.id}
    assert all(t.status == TaskStatus.CANCELLED for t in cancelled)
    assert (await hub.tasks.get_task(world.admin, unrelated.id)).task.status == TaskStatus.READY


async def test_cancel_without_cascade_leaves_dependents_blocked_saying_why(world: World) -> None:
    hub = world.hub
    a = await hub.tasks.create_task(world.admin, TaskDraft(title="a"), world.team.id)
    b = await hub.tasks.create_task(world.admin, TaskDraft(title="b", depends_on=[a.id]), world.team.id)
    await hub.tasks.cancel_task(world.admin, a.id)
    after = (await hub.tasks.get_task(world.admin, b.id)).task
    assert after.status == TaskStatus.BLOCKED
    assert after.blocked_reason == f"dependency #{a.id} was cancelled"


async def test_a_parent_lists_its_subtasks_and_their_progress_without_being_blocked(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    feature = await hub.tasks.create_task(world.admin, TaskDraft(title="profile page"), world.team.id)
    api = await hub.tasks.create_task(world.admin, TaskDraft(title="api", parent_id=feature.id), world.team.id)
    await hub.tasks.create_task(world.admin, TaskDraft(title="ui", parent_id=feature.id), world.team.id)
    await hub.claims.claim_task(builder.principal, api.id)
    await hub.claims.complete_task(builder.principal, api.id)

    detail = (await hub.tasks.get_task(world.admin, feature.id)).to_json()

    assert detail["status"] == "ready"
    assert [s["title"] for s in detail["subtasks"]] == ["api", "ui"]
    assert detail["subtask_progress"] == {"total": 2, "done": 1, "percent_done": 50.0}


async def test_a_task_detail_shows_what_it_waits_for_who_waits_for_it_and_its_subtasks(world: World) -> None:
    hub = world.hub
    design = await hub.tasks.create_task(world.admin, TaskDraft(title="design"), world.team.id)
    review = await hub.tasks.create_task(world.admin, TaskDraft(title="review"), world.team.id)
    drafts = [
        TaskDraft(title="feature", ref="feature", depends_on=[review.id, design.id]),
        TaskDraft(title="api", ref="api", parent_id="feature", depends_on=[design.id]),
        TaskDraft(title="ui", parent_id="feature", depends_on=["api", "feature"]),
        TaskDraft(title="docs", depends_on=["feature"]),
        TaskDraft(title="release", depends_on=["feature", "api"]),
    ]
    feature, api, ui, docs, release = await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)

    detail = await hub.tasks.get_task(world.admin, feature.id)

    assert detail.task.depends_on == (design.id, review.id)
    assert detail.dependents == (ui.id, docs.id, release.id)
    assert [(t.title, t.depends_on) for t in detail.subtasks] == [("api", (design.id,)), ("ui", (feature.id, api.id))]
    assert (await hub.tasks.get_task(world.admin, api.id)).dependents == (ui.id, release.id)
