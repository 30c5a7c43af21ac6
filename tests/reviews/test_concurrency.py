"""Verdicts given at the same moment, run concurrently for real: exactly one is kept, and a branch is merged only
when the approval is the verdict kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa

from switchboard.errors import Conflict
from switchboard.hub import Hub
from switchboard.reviews.models import ReviewOutcome, ReviewStatus, Verdict
from switchboard.tasks.models import TaskStatus
from switchboard.teams.models import Principal
from switchboard.worktrees import service as worktree_service
from tests.conftest import World
from tests.reviews.helpers import claimed, event_kinds, in_review, inbox
from tests.worktrees.conftest import Repo, new_repo

EXPECTED = {
    Verdict.APPROVE: (ReviewStatus.APPROVED, TaskStatus.DONE),
    Verdict.REQUEST_CHANGES: (ReviewStatus.CHANGES_REQUESTED, TaskStatus.CLAIMED),
    Verdict.REJECT: (ReviewStatus.REJECTED, TaskStatus.FAILED),
}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return new_repo(tmp_path / "project")


async def all_at_once(
    world: World, task_id: int, verdicts: list[tuple[Principal, Verdict]]
) -> tuple[list[tuple[Verdict, ReviewOutcome]], list[Conflict]]:
    kept: list[tuple[Verdict, ReviewOutcome]] = []
    refused: list[Conflict] = []
    start = anyio.Event()

    async def submit(principal: Principal, verdict: Verdict) -> None:
        await start.wait()
        try:
            kept.append((verdict, await world.hub.reviews.submit_review(principal, task_id, verdict.value)))
        except Conflict as exc:
            refused.append(exc)

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            for principal, verdict in verdicts:
                group.start_soon(submit, principal, verdict)
            start.set()
    return kept, refused


async def test_of_verdicts_given_at_once_exactly_one_is_kept(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    boss = await world.agent("boss", "manager")
    for round_number in range(4):
        task = await in_review(world, builder, critic, f"Change {round_number}")
        verdicts = [
            (critic.principal, Verdict.APPROVE),
            (manager.principal, Verdict.REJECT),
            (boss.principal, Verdict.REQUEST_CHANGES),
            (world.admin, Verdict.APPROVE),
            (critic.principal, Verdict.REJECT),
        ]

        kept, refused = await all_at_once(world, task.id, verdicts[round_number:] + verdicts[:round_number])

        assert len(kept) == 1 and len(refused) == len(verdicts) - 1
        verdict, outcome = kept[0]
        [review] = await hub.reviews.reviews_of_task(builder.principal, task.id)
        stored = (await hub.tasks.get_task(builder.principal, task.id)).task
        assert (review.status, stored.status) == EXPECTED[verdict] == (outcome.review.status, outcome.task.status)
        assert (await event_kinds(world, task.id)).count("review_submitted") == 1
        assert len(await inbox(world, builder)) == 1


async def test_a_branch_is_merged_only_when_the_approval_is_the_verdict_kept(world: World, repo: Repo) -> None:
    hub = world.hub
    await hub.worktrees.register_repository(world.admin, world.team.id, "app", str(repo.path), merge_on_approve=True)
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    for round_number in range(4):
        task = await claimed(world, builder, f"Change {round_number}")
        assert task.worktree is not None
        repo.commit(f"change_{round_number}.py", "x = 1\n", cwd=Path(task.worktree))
        await hub.reviews.request_review(builder.principal, task.id, "critic")
        base = repo.head()
        verdicts = [(critic.principal, Verdict.APPROVE), (manager.principal, Verdict.REJECT)]

        kept, refused = await all_at_once(world, task.id, verdicts if round_number % 2 else verdicts[::-1])

        assert len(kept) == 1 and len(refused) == 1
        verdict, outcome = kept[0]
        merged = repo.head() != base
        assert merged == (verdict == Verdict.APPROVE) == (outcome.merge is not None and outcome.merge.merged)
        assert outcome.task.status == EXPECTED[verdict][1]


async def test_a_verdict_given_while_an_approval_merges_waits_for_it_and_is_refused(
    world: World, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = world.hub
    await hub.worktrees.register_repository(world.admin, world.team.id, "app", str(repo.path), merge_on_approve=True)
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    manager = await world.manager()
    task = await claimed(world, builder)
    assert task.worktree is not None
    repo.commit("login.py", "def login():\n    return True\n", cwd=Path(task.worktree))
    await hub.reviews.request_review(builder.principal, task.id, "critic")
    merging, proceed = anyio.Event(), anyio.Event()
    merge_branch = worktree_service._merge_branch

    async def paused_merge(*args: Any) -> Any:
        merging.set()
        await proceed.wait()
        return await merge_branch(*args)

    monkeypatch.setattr(worktree_service, "_merge_branch", paused_merge)
    answers: dict[Verdict, ReviewOutcome | Conflict] = {}

    async def submit(principal: Principal, verdict: Verdict) -> None:
        try:
            answers[verdict] = await hub.reviews.submit_review(principal, task.id, verdict.value)
        except Conflict as exc:
            answers[verdict] = exc

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(submit, critic.principal, Verdict.APPROVE)
            await merging.wait()
            group.start_soon(submit, manager.principal, Verdict.REJECT)
            while not await a_writer_waits(hub):
                await anyio.sleep(0.01)
            proceed.set()

    approved, rejected = answers[Verdict.APPROVE], answers[Verdict.REJECT]
    assert isinstance(approved, ReviewOutcome) and isinstance(rejected, Conflict)
    assert approved.task.status == TaskStatus.DONE and approved.merge is not None and approved.merge.merged
    assert repo.show("main", "login.py") == "def login():\n    return True"
    assert "already has its verdict (approved by critic)" in rejected.message


async def a_writer_waits(hub: Hub) -> bool:
    """Whether a write transaction waits for another one: SQLite's writer queue, PostgreSQL's row locks."""
    lock = hub.db._write_lock
    if lock is not None:
        return lock.statistics().tasks_waiting > 0
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with hub.db.read() as conn:
        return bool(await conn.scalar(query))
