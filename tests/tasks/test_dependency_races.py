"""Real concurrency on the dependency rule: finishing dependencies and adding dependents at the same moment."""

import anyio

from switchboard.hub import Hub
from switchboard.tasks.models import TaskDraft, TaskStatus
from tests.conftest import World

ROUNDS = 15


async def test_a_task_whose_two_dependencies_finish_at_once_becomes_ready(world: World) -> None:
    hub = world.hub
    one, two = await world.agent("one"), await world.agent("two")
    other = Hub(hub.settings)
    joins = []
    try:
        for _ in range(ROUNDS):
            a, b = (await hub.tasks.create_tasks_batch(world.admin, [TaskDraft(title="a"), TaskDraft(title="b")],
                                                       world.team.id))  # fmt: skip
            join = await hub.tasks.create_task(world.admin, TaskDraft(title="join", depends_on=[a.id, b.id]),
                                               world.team.id)  # fmt: skip
            await hub.claims.claim_task(one.principal, a.id)
            await other.claims.claim_task(two.principal, b.id)
            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(hub.claims.complete_task, one.principal, a.id)
                    tg.start_soon(other.claims.complete_task, two.principal, b.id)
            joins.append(join.id)
    finally:
        await other.close()
    statuses = [(await hub.tasks.get_task(world.admin, j)).task.status for j in joins]
    assert statuses == [TaskStatus.READY] * ROUNDS


async def test_a_task_created_while_its_dependency_finishes_is_never_left_blocked(world: World) -> None:
    hub = world.hub
    worker = await world.agent("worker")
    other = Hub(hub.settings)
    created: list[int] = []

    async def add_dependent(dependency: int) -> None:
        task = await other.tasks.create_task(world.admin, TaskDraft(title="after", depends_on=[dependency]),
                                             world.team.id)  # fmt: skip
        created.append(task.id)

    try:
        for _ in range(ROUNDS):
            first = await hub.tasks.create_task(world.admin, TaskDraft(title="first"), world.team.id)
            await hub.claims.claim_task(worker.principal, first.id)
            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(add_dependent, first.id)
                    tg.start_soon(hub.claims.complete_task, worker.principal, first.id)
    finally:
        await other.close()
    statuses = [(await hub.tasks.get_task(world.admin, t)).task.status for t in created]
    assert statuses == [TaskStatus.READY] * ROUNDS


async def test_the_same_idempotency_key_sent_twice_at_once_creates_one_task(world: World) -> None:
    from switchboard.tasks.models import Task

    others = [Hub(world.hub.settings) for _ in range(4)]
    answers: list[Task] = []

    async def send(hub: Hub) -> None:
        answers.append(await hub.tasks.create_task(world.admin, TaskDraft(title="once"), world.team.id, "deploy-1"))

    try:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for hub in others:
                    tg.start_soon(send, hub)
    finally:
        for hub in others:
            await hub.close()
    assert len(answers) == 4
    assert len({task.id for task in answers}) == 1
