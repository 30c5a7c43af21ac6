"""Waiting calls through the services, on both backends. The notifier's periodic re-check is 5 s and every
wait here is bounded well below it, so a call that returns in time was woken by the change itself."""

from __future__ import annotations

import anyio
import pytest

from switchboard.errors import InvalidInput, NotFound
from switchboard.hub import Hub
from switchboard.messages.models import InboxQuery, MessageDraft
from switchboard.questions.models import QuestionStatus
from switchboard.tasks.models import TaskDraft, TaskStatus
from switchboard.tasks.service import TaskFilters
from tests.conftest import World
from tests.wake.helpers import start, until_waiting

pytestmark = pytest.mark.anyio


async def test_a_waiting_claim_next_takes_the_task_created_while_it_waits(hub: Hub, world: World) -> None:
    manager = await world.manager()
    builder = await world.agent("builder")
    with anyio.fail_after(3):
        async with anyio.create_task_group() as tg:
            claimed = start(tg, lambda: hub.claims.claim_next(builder.principal, wait_seconds=60))
            await until_waiting(hub.notifier, world.team.id)
            task = await hub.tasks.create_task(manager.principal, TaskDraft(title="Fix the login"))
            got = await claimed.result()
    assert got is not None and got.id == task.id and got.holder == "builder"


async def test_a_waiting_claim_next_answers_none_at_its_timeout(hub: Hub, world: World) -> None:
    builder = await world.agent("builder")
    with anyio.fail_after(3):
        assert await hub.claims.claim_next(builder.principal, wait_seconds=0.05) is None


async def test_a_task_aimed_at_someone_else_does_not_end_the_wait(hub: Hub, world: World) -> None:
    manager = await world.manager()
    builder = await world.agent("builder")
    await world.agent("tester")
    with anyio.fail_after(3):
        async with anyio.create_task_group() as tg:
            claimed = start(tg, lambda: hub.claims.claim_next(builder.principal, wait_seconds=0.5))
            await until_waiting(hub.notifier, world.team.id)
            await hub.tasks.create_task(manager.principal, TaskDraft(title="Not yours", target="tester"))
            assert await claimed.result() is None


async def test_two_waiters_and_one_task_make_one_claim(hub: Hub, world: World) -> None:
    manager = await world.manager()
    first, second = await world.agent("first"), await world.agent("second")
    with anyio.fail_after(3):
        async with anyio.create_task_group() as tg:
            claims = [
                start(tg, lambda m=m: hub.claims.claim_next(m.principal, wait_seconds=0.5)) for m in (first, second)
            ]
            await until_waiting(hub.notifier, world.team.id, 2)
            await hub.tasks.create_task(manager.principal, TaskDraft(title="Only one"))
            results = [await c.result() for c in claims]
    assert sum(r is not None for r in results) == 1


async def test_a_waiting_get_tasks_returns_when_a_matching_task_appears(hub: Hub, world: World) -> None:
    manager = await world.manager()
    builder = await world.agent("builder")
    filters = TaskFilters(status="ready", target="builder")
    with anyio.fail_after(3):
        async with anyio.create_task_group() as tg:
            page = start(tg, lambda: hub.tasks.list_tasks(builder.principal, filters, wait_seconds=60))
            await until_waiting(hub.notifier, world.team.id)
            task = await hub.tasks.create_task(manager.principal, TaskDraft(title="For you", target="builder"))
            assert [t.id for t in (await page.result()).items] == [task.id]


async def test_a_waiting_inbox_returns_the_message_sent_while_it_waits(hub: Hub, world: World) -> None:
    builder = await world.agent("builder")
    tester = await world.agent("tester")
    with anyio.fail_after(3):
        async with anyio.create_task_group() as tg:
            inbox = start(tg, lambda: hub.messages.get_messages(builder.principal, InboxQuery(), wait_seconds=60))
            await until_waiting(hub.notifier, world.team.id)
            await hub.messages.send_message(tester.principal, MessageDraft(target="builder", message="ready?"))
            got = await inbox.result()
    assert [m.body for m in got.messages] == ["ready?"]


async def test_a_waiting_get_response_returns_the_answer(hub: Hub, world: World) -> None:
    builder = await world.agent("builder")
    asked = await hub.questions.ask_human(builder.principal, "Ship on Friday?", ["yes", "no"])
    with anyio.fail_after(3):
        async with anyio.create_task_group() as tg:
            response = start(tg, lambda: hub.questions.get_response(builder.principal, asked.id, wait_seconds=60))
            await until_waiting(hub.notifier, world.team.id)
            await hub.questions.answer(world.admin, asked.id, "yes")
            got = await response.result()
    assert got.status == QuestionStatus.ANSWERED and got.answer == "yes"


async def test_wait_for_task_completion_returns_when_the_last_task_finishes(hub: Hub, world: World) -> None:
    manager = await world.manager()
    builder = await world.agent("builder")
    one = await hub.tasks.create_task(manager.principal, TaskDraft(title="One"))
    two = await hub.tasks.create_task(manager.principal, TaskDraft(title="Two"))
    await hub.claims.complete_task(manager.principal, one.id, "FAILED", result="no disk")
    with anyio.fail_after(3):
        async with anyio.create_task_group() as tg:
            waited = start(tg, lambda: hub.tasks.wait_for_task_completion(manager.principal, [one.id, str(two.id)]))
            await until_waiting(hub.notifier, world.team.id)
            await hub.claims.claim_task(builder.principal, two.id)
            await until_waiting(hub.notifier, world.team.id)  # a claim is not a finish: it waits on
            await hub.claims.complete_task(builder.principal, two.id, "SUCCESS", result="shipped")
            got = await waited.result()
    assert got.done and got.to_json()["timed_out"] is False
    assert [(t.id, t.status) for t in got.tasks] == [(one.id, TaskStatus.FAILED), (two.id, TaskStatus.DONE)]


async def test_wait_for_task_completion_answers_the_current_state_at_its_timeout(hub: Hub, world: World) -> None:
    manager = await world.manager()
    task = await hub.tasks.create_task(manager.principal, TaskDraft(title="Slow"))
    with anyio.fail_after(3):
        got = await hub.tasks.wait_for_task_completion(manager.principal, [task.id], timeout_seconds=0.05)
    assert got.to_json()["done"] is False and got.to_json()["timed_out"] is True
    assert [t.status for t in got.tasks] == [TaskStatus.READY]


async def test_wait_for_task_completion_refuses_another_teams_task_before_waiting(hub: Hub, world: World) -> None:
    other = await world.other_team()
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="Theirs"), team_id=other.team.id)
    manager = await world.manager()
    with anyio.fail_after(3), pytest.raises(NotFound, match=f"task {task.id} not found"):
        await hub.tasks.wait_for_task_completion(manager.principal, [task.id], timeout_seconds=60)


async def test_waits_beyond_their_limit_are_refused(hub: Hub, world: World) -> None:
    manager = await world.manager()
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(manager.principal, TaskDraft(title="Any"))
    with pytest.raises(InvalidInput, match="wait_seconds must be from 0 to 300"):
        await hub.claims.claim_next(builder.principal, wait_seconds=301)
    with pytest.raises(InvalidInput, match="wait_seconds must be from 0 to 300"):
        await hub.messages.get_messages(builder.principal, InboxQuery(), wait_seconds=-1)
    with pytest.raises(InvalidInput, match="timeout_seconds must be from 0 to 3600"):
        await hub.tasks.wait_for_task_completion(manager.principal, [task.id], timeout_seconds=3601)
    with pytest.raises(InvalidInput, match="at least one task"):
        await hub.tasks.wait_for_task_completion(manager.principal, [])
