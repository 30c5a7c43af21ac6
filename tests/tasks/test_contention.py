"""Real concurrency: many claimers on separate connections (and separate engines) race for the same tasks."""

import anyio

from switchboard.hub import Hub
from switchboard.tasks.models import TaskDraft
from tests.conftest import World

CLAIMERS = 32
HUBS = 4
TASKS = 1000


async def test_every_task_is_claimed_exactly_once_under_contention(world: World) -> None:
    members = [await world.agent(f"worker-{i}") for i in range(CLAIMERS)]
    drafts = [TaskDraft(title=f"task {i}") for i in range(TASKS)]
    created = await world.hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    # Several engines on one database: on SQLite they contend through its file locks, not one in-process lock.
    hubs = [Hub(world.hub.settings) for _ in range(HUBS)]
    claims: list[tuple[int, str]] = []

    async def claimer(index: int) -> None:
        hub = hubs[index % HUBS]
        principal = members[index].principal
        while (task := await hub.claims.claim_next(principal)) is not None:
            claims.append((task.id, principal.actor))

    try:
        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for i in range(CLAIMERS):
                    tg.start_soon(claimer, i)
    finally:
        for hub in hubs:
            await hub.close()

    claimed_ids = [task_id for task_id, _ in claims]
    assert len(claimed_ids) == TASKS
    assert set(claimed_ids) == {t.id for t in created}
    assert len({who for _, who in claims}) > 1


async def test_racing_claims_of_one_task_have_exactly_one_winner(world: World) -> None:
    from switchboard.errors import Conflict

    members = [await world.agent(f"racer-{i}") for i in range(CLAIMERS)]
    task = await world.hub.tasks.create_task(world.admin, TaskDraft(title="contested"), world.team.id)
    hubs = [Hub(world.hub.settings) for _ in range(HUBS)]
    winners: list[str] = []
    losers: list[str] = []

    async def race(index: int) -> None:
        try:
            await hubs[index % HUBS].claims.claim_task(members[index].principal, task.id)
            winners.append(members[index].name)
        except Conflict as exc:
            assert "already claimed by" in exc.message
            losers.append(members[index].name)

    try:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(CLAIMERS):
                    tg.start_soon(race, i)
    finally:
        for hub in hubs:
            await hub.close()

    assert len(winners) == 1
    assert len(losers) == CLAIMERS - 1
