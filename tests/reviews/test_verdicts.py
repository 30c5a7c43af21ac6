"""Verdicts: approve finishes the task, request_changes sends it back to its engineer, reject fails it."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.errors import Conflict, Forbidden, InvalidInput, TooLarge
from switchboard.messages.models import MessagePriority, MessageType
from switchboard.reviews.models import COMMENTS_MAX, ReviewStatus
from switchboard.tasks.models import TaskDraft, TaskStatus
from tests.conftest import FakeClock, World
from tests.reviews.helpers import claimed, event_kinds, in_review, inbox

COMMENTS: list[Any] = [
    {"file": "login.tsx", "line": 42, "body": "Validate the e-mail before sending."},
    "Add a test for the empty password.",
]


async def test_approving_finishes_the_task_and_unblocks_its_dependents(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await in_review(world, builder, critic)
    later = await hub.tasks.create_task(builder.principal, TaskDraft(title="Use the form", depends_on=[task.id]))
    clock.advance(60)

    outcome = await hub.reviews.submit_review(critic.principal, task.id, "approve", "Clean and tested.", COMMENTS)

    done = outcome.task
    assert (done.status, done.completed_status, done.progress) == (TaskStatus.DONE, "SUCCESS", 100)
    assert done.result == "Clean and tested." and done.finished_at == clock.now
    assert done.holder == "builder"
    review = outcome.review
    assert (review.status, review.decided_by, review.decided_at) == (ReviewStatus.APPROVED, "critic", clock.now)
    assert review.verdict_summary == "Clean and tested." and list(review.comments) == COMMENTS
    assert (await hub.tasks.get_task(builder.principal, later.id)).task.status == TaskStatus.READY
    assert {"review_submitted", "completed"} <= set(await event_kinds(world, task.id))
    assert "unblocked" in await event_kinds(world, later.id)
    [message] = await inbox(world, builder)
    assert (message.message_type, message.sender, message.task_id) == (MessageType.RESULT, "critic", task.id)
    assert "approved" in message.body and "Clean and tested." in message.body


async def test_requesting_changes_gives_the_task_back_to_its_engineer_with_every_comment(
    world: World, clock: FakeClock
) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await in_review(world, builder, critic)
    clock.advance(600)

    outcome = await hub.reviews.submit_review(critic.principal, task.id, "request_changes", "Almost.", COMMENTS)

    back = outcome.task
    assert (back.status, back.holder, back.attempt) == (TaskStatus.CLAIMED, "builder", task.attempt)
    assert back.lease_expires_at is not None
    assert (back.lease_expires_at - clock.now).total_seconds() == back.lease_seconds
    assert outcome.review.status == ReviewStatus.CHANGES_REQUESTED
    [message] = await inbox(world, builder)
    assert (message.message_type, message.priority) == (MessageType.DIRECTIVE, MessagePriority.HIGH)
    assert "Almost." in message.body and "request_review" in message.body
    assert "login.tsx:42: Validate the e-mail before sending." in message.body
    assert "Add a test for the empty password." in message.body
    # The engineer's claim resumes as it was: it works on and asks again.
    await hub.claims.heartbeat(builder.principal, task.id, attempt=task.attempt)
    again = await hub.reviews.request_review(builder.principal, task.id, "critic", "Fixed both.")
    statuses = [r.status for r in await hub.reviews.reviews_of_task(builder.principal, task.id)]
    assert statuses == [ReviewStatus.CHANGES_REQUESTED, ReviewStatus.PENDING]
    assert again.task.status == TaskStatus.IN_REVIEW


async def test_rejecting_fails_the_task_and_explains_why_its_dependents_stay_blocked(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await in_review(world, builder, critic)
    later = await hub.tasks.create_task(builder.principal, TaskDraft(title="Use the form", depends_on=[task.id]))

    outcome = await hub.reviews.submit_review(critic.principal, task.id, "reject", "Wrong approach: use the SDK.")

    failed = outcome.task
    assert (failed.status, failed.completed_status) == (TaskStatus.FAILED, "FAILED")
    assert failed.result == "Wrong approach: use the SDK."
    assert outcome.review.status == ReviewStatus.REJECTED
    blocked = (await hub.tasks.get_task(builder.principal, later.id)).task
    assert blocked.status == TaskStatus.BLOCKED and blocked.blocked_reason == f"dependency #{task.id} failed"
    [message] = await inbox(world, builder)
    assert message.message_type == MessageType.RESULT and "rejected" in message.body
    assert "Wrong approach: use the SDK." in message.body


@pytest.mark.parametrize("verdict", ["changes_requested", "Request-Changes"])
async def test_the_verdict_may_be_named_as_the_review_status_too(world: World, verdict: str) -> None:
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await in_review(world, builder, critic)

    outcome = await world.hub.reviews.submit_review(critic.principal, task.id, verdict)

    assert outcome.review.status == ReviewStatus.CHANGES_REQUESTED


async def test_an_approval_without_a_summary_invents_no_result(world: World) -> None:
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task = await in_review(world, builder, critic)

    outcome = await world.hub.reviews.submit_review(critic.principal, task.id, "approve")

    assert outcome.task.status == TaskStatus.DONE and outcome.task.result is None


async def test_a_manager_may_give_the_verdict_in_the_reviewers_place(world: World) -> None:
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    task = await in_review(world, builder, critic)

    outcome = await world.hub.reviews.submit_review(manager.principal, task.id, "approve")
    admin_task = await in_review(world, builder, critic, "Second form")
    by_admin = await world.hub.reviews.submit_review(world.admin, admin_task.id, "reject")

    assert outcome.review.decided_by == "manager" and outcome.task.status == TaskStatus.DONE
    assert by_admin.review.decided_by.startswith("admin:") and by_admin.task.status == TaskStatus.FAILED


async def test_refused_verdicts_change_nothing(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    other = await world.agent("other", "reviewer")
    task = await in_review(world, builder, critic)
    not_in_review = await claimed(world, builder, "Still being written")
    before = (await hub.tasks.get_task(builder.principal, task.id)).task
    events_before = await event_kinds(world, task.id)

    refusals: list[tuple[type[Exception], Any]] = [
        (InvalidInput, hub.reviews.submit_review(critic.principal, task.id, "looks fine")),
        (Forbidden, hub.reviews.submit_review(other.principal, task.id, "approve")),
        (Forbidden, hub.reviews.submit_review(builder.principal, task.id, "approve")),
        (Conflict, hub.reviews.submit_review(critic.principal, not_in_review.id, "approve")),
        (
            InvalidInput,
            hub.reviews.submit_review(critic.principal, task.id, "approve", None, ["x"] * (COMMENTS_MAX + 1)),
        ),
        (InvalidInput, hub.reviews.submit_review(critic.principal, task.id, "approve", None, [42])),
        (TooLarge, hub.reviews.submit_review(critic.principal, task.id, "approve", "x" * 70_000)),
        (TooLarge, hub.reviews.submit_review(critic.principal, task.id, "approve", None, ["y" * 70_000])),
    ]
    for error, call in refusals:
        with pytest.raises(error):
            await call

    assert (await hub.tasks.get_task(builder.principal, task.id)).task == before
    [review] = await hub.reviews.reviews_of_task(builder.principal, task.id)
    assert review.status == ReviewStatus.PENDING and review.decided_by is None
    assert await event_kinds(world, task.id) == events_before
    assert await inbox(world, builder) == []


async def test_a_second_verdict_is_refused_naming_the_first(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    task = await in_review(world, builder, critic)
    await hub.reviews.submit_review(critic.principal, task.id, "approve")

    with pytest.raises(Conflict, match=r"already has its verdict \(approved by critic\)"):
        await hub.reviews.submit_review(manager.principal, task.id, "reject")

    assert (await hub.tasks.get_task(builder.principal, task.id)).task.status == TaskStatus.DONE


async def test_listing_reviews_by_status_and_reviewer(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    other = await world.agent("other", "reviewer")
    first = await in_review(world, builder, critic, "First")
    second = await in_review(world, builder, critic, "Second")
    third = await in_review(world, builder, other, "Third")
    await hub.reviews.submit_review(critic.principal, first.id, "approve")

    pending = await hub.reviews.list_reviews(builder.principal, world.team.id, "pending")
    critics = await hub.reviews.list_reviews(builder.principal, world.team.id, "pending", "critic")
    everything = await hub.reviews.list_reviews(world.admin, world.team.id)

    assert [r.task_id for r in pending] == [second.id, third.id]
    assert [(r.task_id, r.task_title) for r in critics] == [(second.id, "Second")]
    assert [r.task_id for r in everything] == [third.id, second.id, first.id]
    with pytest.raises(InvalidInput):
        await hub.reviews.list_reviews(builder.principal, world.team.id, "maybe")
    with pytest.raises(InvalidInput):
        await hub.reviews.list_reviews(builder.principal, world.team.id, reviewer="nobody")
