"""Asking people, answering, expiring: the rules, through the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio
import pytest

from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound, SwitchboardError, TooLarge
from switchboard.messages.models import MessagePriority
from switchboard.questions.models import QuestionStatus
from switchboard.tasks.models import TaskDraft
from tests.conftest import FakeClock, World
from tests.questions.inbox import event_kinds, inbox


async def test_a_person_answers_and_the_asker_reads_the_answer_and_finds_a_message(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(builder.principal, TaskDraft(title="Add rate limiting"))
    asked = await hub.questions.ask_human(
        builder.principal, "All endpoints or just /api/users?", ["All endpoints", "Just /api/users"], task_id=task.id
    )
    assert (asked.status, asked.kind.value, asked.task_id, asked.asked_by) == (
        "pending",
        "question",
        task.id,
        "builder",
    )

    pending = await hub.questions.list_questions(world.admin, world.team.id, "pending")
    assert [q.id for q in pending] == [asked.id]
    answered = await hub.questions.answer(world.admin, asked.id, "  just /API/users ")

    read = await hub.questions.get_response(builder.principal, asked.id)
    assert read == answered
    assert (read.status, read.answer, read.answered_by) == ("answered", "Just /api/users", world.admin.actor)
    [message] = await inbox(hub, builder.id)
    assert message.body == f"Your question #{asked.id} was answered: Just /api/users"
    assert (message.message_type, message.priority, message.task_id) == ("RESULT", MessagePriority.HIGH, task.id)
    assert (message.sender, message.sender_agent_id, message.target_name) == (world.admin.actor, None, "builder")
    kinds = await event_kinds(hub, world.team.id)
    assert kinds[-3:] == ["question_asked", "question_answered", "message_sent"]


async def test_a_free_text_question_keeps_the_answer_as_written(world: World) -> None:
    builder = await world.agent("builder")
    asked = await world.hub.questions.ask_human(builder.principal, "Which staging database?")
    answered = await world.hub.questions.answer(world.admin, asked.id, "staging-eu, read replica")
    assert (asked.options, answered.answer) == (None, "staging-eu, read replica")


async def test_an_answer_outside_the_options_is_refused_and_changes_nothing(world: World) -> None:
    builder = await world.agent("builder")
    asked = await world.hub.questions.ask_human(builder.principal, "Ship it?", ["yes", "no"])
    with pytest.raises(InvalidInput) as refused:
        await world.hub.questions.answer(world.admin, asked.id, "maybe")
    assert refused.value.details["options"] == ["yes", "no"]
    assert await world.hub.questions.get_response(builder.principal, asked.id) == asked
    assert await inbox(world.hub, builder.id) == []


async def test_a_question_is_answered_only_once(world: World) -> None:
    builder = await world.agent("builder")
    asked = await world.hub.questions.ask_human(builder.principal, "Ship it?", ["yes", "no"])
    await world.hub.questions.answer(world.admin, asked.id, "yes")
    with pytest.raises(Conflict) as refused:
        await world.hub.questions.answer(world.admin, asked.id, "no")
    assert world.admin.actor in refused.value.message
    assert refused.value.details["answered_by"] == world.admin.actor
    assert (await world.hub.questions.get_response(builder.principal, asked.id)).answer == "yes"
    assert len(await inbox(world.hub, builder.id)) == 1


async def test_two_people_answering_at_once_leave_exactly_one_answer(world: World) -> None:
    builder = await world.agent("builder")
    options = [f"option {i}" for i in range(8)]
    asked = await world.hub.questions.ask_human(builder.principal, "Which one?", options)
    outcomes: list[str | SwitchboardError] = []

    async def answer(text: str) -> None:
        try:
            outcomes.append((await world.hub.questions.answer(world.admin, asked.id, text)).answer or "")
        except SwitchboardError as exc:
            outcomes.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for option in options:
                tg.start_soon(answer, option)
    winners = [o for o in outcomes if isinstance(o, str)]
    assert len(winners) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, str))
    assert (await world.hub.questions.get_response(builder.principal, asked.id)).answer == winners[0]
    assert len(await inbox(world.hub, builder.id)) == 1


async def test_an_approval_without_options_is_answered_approve_or_reject(world: World) -> None:
    builder = await world.agent("builder")
    asked = await world.hub.questions.ask_human(builder.principal, "Drop the legacy table?", kind="approval")
    assert asked.options == ("approve", "reject")
    with pytest.raises(InvalidInput):
        await world.hub.questions.answer(world.admin, asked.id, "sure")
    assert (await world.hub.questions.answer(world.admin, asked.id, "Approve")).answer == "approve"


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"question": "  "}, InvalidInput),
        ({"question": "x" * (64 * 1024 + 1)}, TooLarge),
        ({"options": ["only one"]}, InvalidInput),
        ({"options": [f"o{i}" for i in range(21)]}, InvalidInput),
        ({"options": ["yes", "Yes"]}, InvalidInput),
        ({"options": ["yes", " "]}, InvalidInput),
        ({"options": ["yes", "n" * 501]}, TooLarge),
        ({"kind": "poll"}, InvalidInput),
        ({"timeout_minutes": 0}, InvalidInput),
        ({"timeout_minutes": 10081}, InvalidInput),
        ({"task_id": 987654}, InvalidInput),
    ],
)
async def test_a_bad_question_is_refused_and_nothing_is_asked(
    world: World, arguments: dict[str, Any], problem: type[SwitchboardError]
) -> None:
    builder = await world.agent("builder")
    with pytest.raises(problem):
        await world.hub.questions.ask_human(builder.principal, **{"question": "Which?", **arguments})
    assert await world.hub.questions.list_questions(world.admin, world.team.id) == []
    assert "question_asked" not in await event_kinds(world.hub, world.team.id)


async def test_only_agents_ask_and_only_about_their_own_teams_tasks(world: World) -> None:
    builder = await world.agent("builder")
    other = await world.other_team()
    foreign = await world.hub.tasks.create_task(world.admin, TaskDraft(title="theirs"), other.team.id)
    with pytest.raises(Forbidden):
        await world.hub.questions.ask_human(world.admin, "Anyone?", team_id=world.team.id)
    with pytest.raises(InvalidInput) as refused:
        await world.hub.questions.ask_human(builder.principal, "About theirs?", task_id=foreign.id)
    assert "no such task in this team" in refused.value.message


async def test_a_question_waits_a_day_by_default_and_as_long_as_asked_otherwise(world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    default = await world.hub.questions.ask_human(builder.principal, "Which?")
    week = await world.hub.questions.ask_human(builder.principal, "Which?", timeout_minutes=10080)
    assert default.expires_at == clock.now + timedelta(days=1)
    assert week.expires_at == clock.now + timedelta(days=7)


async def test_reading_a_question_past_its_timeout_expires_it_and_tells_the_asker(
    world: World, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    asked = await world.hub.questions.ask_human(builder.principal, "Which?", ["a", "b"], timeout_minutes=30)
    clock.advance(29 * 60)
    assert (await world.hub.questions.get_response(builder.principal, asked.id)).status == QuestionStatus.PENDING
    clock.advance(60)

    read = await world.hub.questions.get_response(builder.principal, asked.id)
    assert (read.status, read.answer) == (QuestionStatus.EXPIRED, None)
    [message] = await inbox(world.hub, builder.id)
    assert message.body.startswith(f"Your question #{asked.id} expired unanswered after 30 minutes")
    assert (message.message_type, message.sender) == ("STATUS", "hub")
    await world.hub.questions.expire_due()
    assert (await event_kinds(world.hub, world.team.id)).count("question_expired") == 1


async def test_listing_expires_what_is_due_before_showing_it(world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    asked = await world.hub.questions.ask_human(builder.principal, "Which?", timeout_minutes=5)
    clock.advance(5 * 60)
    assert await world.hub.questions.list_questions(world.admin, world.team.id, "pending") == []
    [expired] = await world.hub.questions.list_questions(world.admin, world.team.id, "expired")
    assert expired.id == asked.id


async def test_expire_due_expires_every_question_past_its_timeout_and_tells_each_asker(
    world: World, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    other = await world.other_team()
    outsider = await other.agent("outsider")
    quick = await world.hub.questions.ask_human(builder.principal, "Quick?", timeout_minutes=10)
    slow = await world.hub.questions.ask_human(reviewer.principal, "Slow?", timeout_minutes=60)
    elsewhere = await world.hub.questions.ask_human(outsider.principal, "Elsewhere?", timeout_minutes=10)
    clock.advance(10 * 60)

    # On PostgreSQL the database is shared by the session's tests, whose questions may fall due too.
    assert await world.hub.questions.expire_due() >= 2
    assert await world.hub.questions.expire_due() == 0
    both = [
        *await world.hub.questions.list_questions(world.admin, world.team.id),
        *await other.hub.questions.list_questions(world.admin, other.team.id),
    ]
    statuses = {q.id: q.status.value for q in both}
    assert statuses == {quick.id: "expired", slow.id: "pending", elsewhere.id: "expired"}
    org_wide = await world.hub.questions.list_questions(world.admin, status="expired", limit=500)
    assert {quick.id, elsewhere.id} <= {q.id for q in org_wide}
    assert [m.message_type for m in await inbox(world.hub, builder.id)] == ["STATUS"]
    assert [m.message_type for m in await inbox(world.hub, outsider.id)] == ["STATUS"]
    assert await inbox(world.hub, reviewer.id) == []


async def test_an_expired_question_cannot_be_answered(world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    asked = await world.hub.questions.ask_human(builder.principal, "Which?", ["a", "b"], timeout_minutes=1)
    clock.advance(61)
    with pytest.raises(Conflict) as refused:
        await world.hub.questions.answer(world.admin, asked.id, "a")
    assert "expired" in refused.value.message
    read = await world.hub.questions.get_response(builder.principal, asked.id)
    assert (read.status, read.answer) == (QuestionStatus.EXPIRED, None)
    assert [m.message_type for m in await inbox(world.hub, builder.id)] == ["STATUS"]
    with pytest.raises(Conflict, match="expired"):
        await world.hub.questions.answer(world.admin, asked.id, "b")


async def test_another_teams_question_is_not_found(world: World) -> None:
    builder = await world.agent("builder")
    outsider = await (await world.other_team()).agent("outsider", role="manager")
    asked = await world.hub.questions.ask_human(builder.principal, "Which?")
    with pytest.raises(NotFound):
        await world.hub.questions.get_response(outsider.principal, asked.id)
    with pytest.raises(NotFound):
        await world.hub.questions.answer(outsider.principal, asked.id, "this one")
    with pytest.raises(NotFound):
        await world.hub.questions.get_response(world.admin, 2**40)


async def test_an_engineer_cannot_answer_nor_read_another_agents_question(world: World) -> None:
    builder = await world.agent("builder")
    nosy = await world.agent("nosy")
    asked = await world.hub.questions.ask_human(builder.principal, "Which?")
    with pytest.raises(Forbidden):
        await world.hub.questions.answer(nosy.principal, asked.id, "mine")
    with pytest.raises(Forbidden):
        await world.hub.questions.answer(builder.principal, asked.id, "mine")
    with pytest.raises(Forbidden):
        await world.hub.questions.get_response(nosy.principal, asked.id)
    assert await world.hub.questions.list_questions(nosy.principal) == []
    assert (await world.hub.questions.get_response(builder.principal, asked.id)).status == "pending"


async def test_a_manager_answers_only_where_the_team_allows_it(world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    asked = await world.hub.questions.ask_human(builder.principal, "Ship it?", ["yes", "no"])
    assert (await world.hub.questions.get_response(manager.principal, asked.id)).id == asked.id
    with pytest.raises(Forbidden, match="managers_answer_questions"):
        await world.hub.questions.answer(manager.principal, asked.id, "yes")

    await world.hub.teams.update_settings(world.admin, world.team.id, {"managers_answer_questions": True})
    answered = await world.hub.questions.answer(manager.principal, asked.id, "yes")
    assert answered.answered_by == "manager"
    [message] = await inbox(world.hub, builder.id)
    assert (message.sender, message.sender_agent_id) == ("manager", manager.id)


async def test_the_managers_answer_setting_must_be_true_or_false(world: World) -> None:
    with pytest.raises(InvalidInput, match="managers_answer_questions"):
        await world.hub.teams.update_settings(world.admin, world.team.id, {"managers_answer_questions": "yes"})
    team = await world.hub.teams.get_team(world.admin, world.team.id)
    assert team.settings.managers_answer_questions is False


async def test_lists_show_pending_first_then_oldest_and_an_agent_only_its_own(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    manager = await world.manager()
    first = await world.hub.questions.ask_human(builder.principal, "First?")
    second = await world.hub.questions.ask_human(reviewer.principal, "Second?")
    third = await world.hub.questions.ask_human(builder.principal, "Third?")
    await world.hub.questions.answer(world.admin, first.id, "done")

    assert [q.id for q in await world.hub.questions.list_questions(world.admin, world.team.id)] == [
        second.id,
        third.id,
        first.id,
    ]
    assert [q.id for q in await world.hub.questions.list_questions(manager.principal)] == [
        second.id,
        third.id,
        first.id,
    ]
    assert [q.id for q in await world.hub.questions.list_questions(builder.principal)] == [third.id, first.id]
    answered = await world.hub.questions.list_questions(world.admin, world.team.id, "answered")
    assert [q.id for q in answered] == [first.id]
    with pytest.raises(InvalidInput):
        await world.hub.questions.list_questions(world.admin, world.team.id, "open")
    with pytest.raises(NotFound):
        await world.hub.questions.list_questions(builder.principal, (await world.other_team()).team.id)


async def test_the_hubs_housekeeping_expires_due_questions(world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    asked = await world.hub.questions.ask_human(builder.principal, "Which?", timeout_minutes=15)
    clock.advance(15 * 60)
    await world.hub.housekeeping()
    assert [m.message_type for m in await inbox(world.hub, builder.id)] == ["STATUS"]
    assert (await world.hub.questions.get_response(world.admin, asked.id)).status == QuestionStatus.EXPIRED
