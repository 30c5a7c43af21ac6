"""Asking for a review: the task waits in review and a reviewer, named or chosen fairly, is asked by message."""

from __future__ import annotations

import pytest

from switchboard.errors import Conflict, InvalidInput, NotFound
from switchboard.messages.models import MessagePriority, MessageType
from switchboard.reviews.models import ReviewStatus
from switchboard.tasks.models import TaskDraft, TaskStatus
from tests.conftest import FakeClock, World
from tests.reviews.helpers import claimed, event_kinds, in_review, inbox


async def test_requesting_review_puts_the_task_in_review_and_asks_the_reviewer(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await claimed(world, builder)

    outcome = await hub.reviews.request_review(builder.principal, task.id, summary="Form, validation and tests.")

    assert outcome.task.status == TaskStatus.IN_REVIEW
    assert outcome.task.lease_expires_at is None
    assert outcome.task.holder == "builder" and outcome.task.attempt == task.attempt
    review = outcome.review
    assert (review.status, review.reviewer, review.engineer) == (ReviewStatus.PENDING, "critic", "builder")
    assert (review.requested_by, review.request_summary) == ("builder", "Form, validation and tests.")
    assert "review_requested" in await event_kinds(world, task.id)
    [message] = await inbox(world, critic)
    assert (message.message_type, message.priority) == (MessageType.DIRECTIVE, MessagePriority.HIGH)
    assert message.task_id == task.id and message.sender == "builder"
    assert f"task #{task.id}" in message.body and "Form, validation and tests." in message.body
    assert "get_task_diff" in message.body and "submit_review" in message.body
    assert [r.id for r in await hub.reviews.reviews_of_task(builder.principal, task.id)] == [review.id]


async def test_a_named_agent_reviews_even_without_the_reviewer_role(world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("critic", "reviewer")
    senior = await world.agent("senior", "engineer")
    task = await claimed(world, builder)

    outcome = await world.hub.reviews.request_review(builder.principal, task.id, senior.id)

    assert outcome.review.reviewer == "senior"
    assert [m.task_id for m in await inbox(world, senior)] == [task.id]


async def test_the_reviewer_is_chosen_idle_first_then_with_fewest_pending_reviews_then_lowest_id(
    world: World, clock: FakeClock
) -> None:
    hub = world.hub
    asleep = await world.agent("asleep", "reviewer")
    first = await world.agent("first", "reviewer")
    second = await world.agent("second", "reviewer")
    clock.advance(world.team.settings.offline_after_seconds + 1)  # silent since: offline
    builder = await world.agent("builder")
    for member in (first, second):
        await hub.claims.heartbeat(member.principal)

    async def next_reviewer() -> str | None:
        task = await claimed(world, builder, "one more change")
        return (await hub.reviews.request_review(builder.principal, task.id)).review.reviewer

    chosen = [await next_reviewer(), await next_reviewer(), await next_reviewer()]
    await claimed(world, second, "second is busy with its own task")
    chosen += [await next_reviewer(), await next_reviewer()]

    assert chosen == ["first", "second", "first", "first", "first"]
    assert asleep.name not in chosen


async def test_an_offline_reviewer_is_still_asked_when_it_is_the_only_one(world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("asleep", "reviewer")
    task = await claimed(world, builder)

    assert (await world.hub.reviews.request_review(builder.principal, task.id)).review.reviewer == "asleep"


async def test_the_engineer_is_never_chosen_to_review_its_own_work(world: World, clock: FakeClock) -> None:
    hub = world.hub
    await world.agent("other", "reviewer")
    clock.advance(world.team.settings.offline_after_seconds + 1)
    doer = await world.agent("doer", "reviewer")
    await hub.claims.heartbeat(doer.principal)
    task = await claimed(world, doer)

    assert (await hub.reviews.request_review(doer.principal, task.id)).review.reviewer == "other"


async def test_a_team_without_another_reviewer_is_refused_and_nothing_changes(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder", "reviewer")
    task = await claimed(world, builder)

    with pytest.raises(Conflict, match="no other agent with role `reviewer`"):
        await hub.reviews.request_review(builder.principal, task.id)

    assert (await hub.tasks.get_task(builder.principal, task.id)).task == task
    assert await hub.reviews.reviews_of_task(builder.principal, task.id) == []
    assert "review_requested" not in await event_kinds(world, task.id)


async def test_naming_the_engineer_or_an_unknown_agent_is_refused(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    outsider = await (await world.other_team()).agent("outsider", "reviewer")
    task = await claimed(world, builder)

    for named in ("builder", builder.id, "nobody", outsider.id):
        with pytest.raises(InvalidInput):
            await hub.reviews.request_review(builder.principal, task.id, named)

    assert (await hub.tasks.get_task(builder.principal, task.id)).task.status == TaskStatus.CLAIMED


async def test_only_the_holder_on_its_current_claim_or_a_manager_sends_a_task_to_review(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    other = await world.agent("other")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    task = await claimed(world, builder)

    with pytest.raises(Conflict, match="you do not hold"):
        await hub.reviews.request_review(other.principal, task.id, "critic")
    with pytest.raises(Conflict, match="superseded"):
        await hub.reviews.request_review(builder.principal, task.id, "critic", attempt=task.attempt + 1)
    outcome = await hub.reviews.request_review(manager.principal, task.id, critic.id)

    assert outcome.review.requested_by == "manager" and outcome.review.engineer == "builder"
    assert outcome.task.holder == "builder"


async def test_a_task_already_in_review_or_not_claimed_cannot_be_sent_to_review(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    task = await in_review(world, builder, critic)
    ready = await hub.tasks.create_task(builder.principal, TaskDraft(title="not claimed yet"))

    with pytest.raises(Conflict, match="already in review by critic"):
        await hub.reviews.request_review(manager.principal, task.id, "critic")
    with pytest.raises(Conflict, match="only a claimed task"):
        await hub.reviews.request_review(manager.principal, ready.id, "critic")

    assert len(await hub.reviews.reviews_of_task(builder.principal, task.id)) == 1


async def test_the_lease_sweep_leaves_a_task_in_review_alone(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await in_review(world, builder, critic)

    clock.advance(task.lease_seconds * 10)
    swept = await hub.claims.sweep_expired_leases()

    assert task.id not in swept.returned + swept.failed
    assert (await hub.tasks.get_task(builder.principal, task.id)).task.status == TaskStatus.IN_REVIEW


async def test_the_engineer_cannot_finish_a_task_in_review_itself(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await in_review(world, builder, critic)

    with pytest.raises(Conflict, match="you do not hold"):
        await hub.claims.complete_task(builder.principal, task.id)


async def test_cancelling_a_task_in_review_withdraws_its_review_and_tells_the_reviewer(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    task = await in_review(world, builder, critic)
    await inbox(world, critic)

    await hub.tasks.cancel_task(manager.principal, task.id)

    [review] = await hub.reviews.reviews_of_task(manager.principal, task.id)
    assert review.status == ReviewStatus.WITHDRAWN and review.decided_by == "hub"
    [message] = await inbox(world, critic)
    assert "withdrawn" in message.body and message.task_id == task.id
    assert "review_withdrawn" in await event_kinds(world, task.id)
    with pytest.raises(Conflict):
        await hub.reviews.submit_review(critic.principal, task.id, "approve")


async def test_a_retried_task_can_be_reviewed_again_after_a_review_that_ended_without_a_verdict(
    world: World,
) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    task = await in_review(world, builder, critic)
    await hub.tasks.cancel_task(manager.principal, task.id)
    await hub.tasks.retry_task(manager.principal, task.id)
    await hub.claims.claim_task(builder.principal, task.id)

    again = await hub.reviews.request_review(builder.principal, task.id, "critic")

    statuses = [r.status for r in await hub.reviews.reviews_of_task(builder.principal, task.id)]
    assert statuses == [ReviewStatus.WITHDRAWN, ReviewStatus.PENDING]
    assert again.task.status == TaskStatus.IN_REVIEW


async def test_another_teams_task_and_reviews_are_not_found(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await in_review(world, builder, critic)
    outsider = await (await world.other_team()).agent("outsider", "reviewer")

    with pytest.raises(NotFound):
        await hub.reviews.reviews_of_task(outsider.principal, task.id)
    with pytest.raises(NotFound):
        await hub.reviews.submit_review(outsider.principal, task.id, "approve")
    with pytest.raises(NotFound):
        await hub.reviews.list_reviews(outsider.principal, world.team.id)


async def test_a_manager_completing_a_task_in_review_withdraws_its_review(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    task = await in_review(world, builder, critic)

    done = await hub.claims.complete_task(manager.principal, task.id, "SUCCESS", "Shipped without review.")

    assert done.status == TaskStatus.DONE
    [review] = await hub.reviews.reviews_of_task(manager.principal, task.id)
    assert review.status == ReviewStatus.WITHDRAWN
    assert await hub.reviews.list_reviews(critic.principal, world.team.id, "pending") == []
