"""A claim made for a caller who is gone before it hears of it goes back to `ready` at once, not at lease expiry."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest

from switchboard.tasks.claims import UNRECEIVED
from switchboard.tasks.models import Task, TaskDraft, TaskStatus
from tests.conftest import FakeClock, Member, World

CALLERS = 5


async def _claim_all_at_once(
    world: World, members: list[Member], victim: Member, victim_scope: anyio.CancelScope
) -> dict[str, Task | None]:
    """Every member calls claim_next at once; the victim's call runs inside `victim_scope`."""
    answers: dict[str, Task | None] = {}

    async def claim(member: Member) -> None:
        if member is victim:
            with victim_scope:
                answers[member.name] = await world.hub.claims.claim_next(member.principal)
        else:
            answers[member.name] = await world.hub.claims.claim_next(member.principal)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for member in members:
                tg.start_soon(claim, member)
    return answers


@pytest.mark.parametrize("victim_index", [0, 2], ids=["running-its-batch", "waiting-in-a-batch"])
async def test_a_caller_cancelled_while_its_batch_runs_leaves_no_claim_and_the_others_get_theirs(
    world: World, victim_index: int
) -> None:
    hub = world.hub
    members = [await world.agent(f"builder-{i}") for i in range(CALLERS)]
    victim = members[victim_index]
    await hub.tasks.create_tasks_batch(world.admin, [TaskDraft(title=f"t{i}") for i in range(CALLERS)], world.team.id)
    victim_scope = anyio.CancelScope()
    victims_batch: list[Task] = []

    async def cancel_the_victim(tasks: Sequence[Task]) -> None:
        # Runs once the batch committed, while it is still running: the victim's claim is made, not yet answered.
        if any(t.holder_agent_id == victim.id for t in tasks):
            victims_batch.extend(tasks)
            victim_scope.cancel()

    hub.claims.on_batch_claimed.append(cancel_the_victim)
    answers = await _claim_all_at_once(world, members, victim, victim_scope)

    assert victim_scope.cancelled_caught and victim.name not in answers
    others = [m for m in members if m is not victim]
    assert all(answers[m.name] is not None for m in others), answers
    assert all(answers[m.name].holder == m.name for m in others)  # type: ignore[union-attr]
    if victim_index > 0:
        # The victim waited in a batch another caller ran; everyone else in that batch got an answer.
        assert len(victims_batch) > 1
    [given_up] = [t for t in victims_batch if t.holder_agent_id == victim.id]
    task = (await hub.tasks.get_task(world.admin, given_up.id)).task
    assert (task.status, task.holder, task.attempt) == (TaskStatus.READY, None, given_up.attempt)
    events = await hub.tasks.get_task_events(world.admin, given_up.id)
    assert [e.kind for e in events][-2:] == ["claimed", "unclaimed"]
    assert events[-1].actor == "hub"
    assert events[-1].data == {"attempt": given_up.attempt, "holder": victim.name, "reason": UNRECEIVED}

    late = await world.agent("late")
    claimed = await hub.claims.claim_next(late.principal)
    assert claimed is not None and claimed.id == given_up.id and claimed.attempt == given_up.attempt + 1


async def test_a_late_release_leaves_alone_a_claim_that_moved_on_meanwhile(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    draft = TaskDraft(title="only one")
    created = await hub.tasks.create_task(world.admin, draft, world.team.id)
    scope = anyio.CancelScope()

    async def lose_and_retake_the_claim(tasks: Sequence[Task]) -> None:
        # Before the cancelled caller gives its claim back, the lease runs out and the same agent claims anew.
        scope.cancel()
        clock.advance(created.lease_seconds + 1)
        assert created.id in (await hub.claims.sweep_expired_leases()).returned
        await hub.claims.claim_task(builder.principal, created.id)

    hub.claims.on_batch_claimed.append(lose_and_retake_the_claim)
    with anyio.fail_after(10), scope:
        await hub.claims.claim_next(builder.principal)

    assert scope.cancelled_caught
    task = (await hub.tasks.get_task(world.admin, created.id)).task
    assert (task.status, task.holder, task.attempt) == (TaskStatus.CLAIMED, "builder", 2)
    assert "unclaimed" not in [e.kind for e in await hub.tasks.get_task_events(world.admin, created.id)]
