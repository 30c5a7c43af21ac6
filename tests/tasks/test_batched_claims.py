"""Calls that arrive together are answered in one transaction: each still gets what it would have got alone."""

from __future__ import annotations

from typing import Any

import anyio

from switchboard.errors import Conflict, LimitExceeded, SwitchboardError
from switchboard.tasks.models import Task, TaskDraft, TaskStatus
from switchboard.tasks.service import TaskFilters
from tests.conftest import Member, World

BUILDERS = 6
REVIEWERS = 2


async def _all_at_once(calls: list[Any]) -> list[Any]:
    """Start every call before any can finish, so they queue for the same batches; each result or refusal."""
    results: list[Any] = [None] * len(calls)

    async def run(index: int) -> None:
        try:
            results[index] = await calls[index]()
        except SwitchboardError as exc:
            results[index] = exc

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for index in range(len(calls)):
                tg.start_soon(run, index)
    return results


async def test_an_agent_gets_work_aimed_at_it_though_others_work_fills_the_batch(world: World) -> None:
    hub = world.hub
    builders = [await world.agent(f"builder-{i}", groups=["builders"]) for i in range(BUILDERS)]
    reviewers = [await world.agent(f"reviewer-{i}", role="reviewer") for i in range(REVIEWERS)]
    # More urgent builders' work than callers, so the first tasks looked at are none a reviewer may take.
    urgent = [TaskDraft(title=f"build {i}", target="builders", priority="high") for i in range(3 * BUILDERS)]
    reviews = [TaskDraft(title=f"review {i}", target="@reviewer", priority="low") for i in range(REVIEWERS)]
    await hub.tasks.create_tasks_batch(world.admin, urgent + reviews, world.team.id)

    callers = builders + reviewers
    first = await _all_at_once([lambda m=m: hub.claims.claim_next(m.principal) for m in callers])

    assert all(isinstance(task, Task) for task in first), first
    assert sorted(t.title for t in first[BUILDERS:]) == [f"review {i}" for i in range(REVIEWERS)]
    assert all(t.title.startswith("build ") for t in first[:BUILDERS])
    assert len({t.id for t in first}) == len(callers)
    assert [t.holder for t in first] == [m.name for m in callers]


async def test_every_task_goes_to_one_agent_it_is_aimed_at(world: World) -> None:
    hub = world.hub
    builders = [await world.agent(f"builder-{i}", groups=["builders"]) for i in range(BUILDERS)]
    reviewers = [await world.agent(f"reviewer-{i}", role="reviewer") for i in range(REVIEWERS)]
    drafts = [TaskDraft(title=f"open {i}") for i in range(10)]
    drafts += [TaskDraft(title=f"group {i}", target="builders") for i in range(10)]
    drafts += [TaskDraft(title=f"role {i}", target="@reviewer") for i in range(10)]
    drafts += [TaskDraft(title=f"own {i}", target=f"builder-{i % BUILDERS}") for i in range(10)]
    created = await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    claims: list[tuple[Member, Task]] = []

    async def drain(member: Member) -> None:
        while (task := await hub.claims.claim_next(member.principal)) is not None:
            claims.append((member, task))
            await hub.claims.complete_task(member.principal, task.id, "SUCCESS")

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for member in builders + reviewers:
                tg.start_soon(drain, member)

    assert sorted(t.id for _, t in claims) == sorted(t.id for t in created)
    for member, task in claims:
        assert member.principal.agent is not None
        if task.title.startswith("group"):
            assert "builders" in member.principal.agent.groups
        elif task.title.startswith("role"):
            assert member.principal.agent.role == "reviewer"
        elif task.title.startswith("own"):
            assert task.target == member.name


async def test_a_claim_refused_by_the_teams_cap_leaves_the_others_of_its_batch_standing(world: World) -> None:
    hub = world.hub
    await hub.teams.update_settings(world.admin, world.team.id, {"max_concurrent_agents": 2})
    members = [await world.agent(f"worker-{i}") for i in range(5)]
    await hub.tasks.create_tasks_batch(world.admin, [TaskDraft(title=f"t{i}") for i in range(5)], world.team.id)

    outcomes = await _all_at_once([lambda m=m: hub.claims.claim_next(m.principal) for m in members])

    assert sum(isinstance(o, Task) for o in outcomes) == 2
    assert sum(isinstance(o, LimitExceeded) for o in outcomes) == 3
    ready = await hub.tasks.list_tasks(world.admin, TaskFilters(status=TaskStatus.READY.value), world.team.id)
    assert len(ready.items) == 3


async def test_completions_in_one_batch_each_keep_their_own_rules(world: World) -> None:
    hub = world.hub
    alice, bob = await world.agent("alice"), await world.agent("bob")
    first, second, third = await hub.tasks.create_tasks_batch(
        world.admin, [TaskDraft(title="a"), TaskDraft(title="b"), TaskDraft(title="c")], world.team.id
    )
    for task in (first, second):
        await hub.claims.claim_task(alice.principal, task.id)
    await hub.claims.claim_task(bob.principal, third.id)

    outcomes = await _all_at_once(
        [
            lambda: hub.claims.complete_task(alice.principal, first.id, "SUCCESS", result="one"),
            lambda: hub.claims.complete_task(alice.principal, first.id, "SUCCESS", result="two"),
            lambda: hub.claims.complete_task(bob.principal, second.id, "SUCCESS"),
            lambda: hub.claims.complete_task(alice.principal, second.id, "FAILED", result="broke"),
            lambda: hub.claims.complete_task(bob.principal, third.id, "SUCCESS", result="three"),
        ]
    )

    done_first = [o for o in outcomes[:2] if isinstance(o, Task)]
    assert len(done_first) == 1 and isinstance(next(o for o in outcomes[:2] if o is not done_first[0]), Conflict)
    assert isinstance(outcomes[2], Conflict)
    assert isinstance(outcomes[3], Task) and outcomes[3].status == TaskStatus.FAILED
    assert isinstance(outcomes[4], Task) and outcomes[4].result == "three"
    stored = {t.id: t for t in (await hub.tasks.list_tasks(world.admin, TaskFilters(), world.team.id)).items}
    assert stored[first.id].status == TaskStatus.DONE and stored[first.id].result == done_first[0].result
    assert stored[second.id].status == TaskStatus.FAILED and stored[second.id].result == "broke"
    assert stored[third.id].result == "three"


async def test_unblocking_by_a_batch_of_completions_names_the_task_each_waited_on(world: World) -> None:
    hub, count = world.hub, 40
    members = [await world.agent(f"worker-{i}") for i in range(count)]
    drafts = [TaskDraft(title=f"first {i}", ref=f"first-{i}") for i in range(count)]
    drafts += [TaskDraft(title=f"then {i}", depends_on=[f"first-{i}"]) for i in range(count)]
    created = await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    firsts, thens = created[:count], created[count:]
    for member, task in zip(members, firsts, strict=True):
        await hub.claims.claim_task(member.principal, task.id)

    await _all_at_once(
        [lambda m=m, t=t: hub.claims.complete_task(m.principal, t.id) for m, t in zip(members, firsts, strict=True)]
    )

    for first, then in zip(firsts, thens, strict=True):
        unblocked = [e for e in await hub.tasks.get_task_events(world.admin, then.id) if e.kind == "unblocked"]
        assert [e.data["by"] for e in unblocked] == [first.id]
        assert unblocked[0].actor == next(m.name for m, t in zip(members, firsts, strict=True) if t.id == first.id)
