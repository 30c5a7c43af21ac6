"""Dependency graphs through the service: a batch of 1,000 tasks with 2,000 dependencies, the same batch with one
back edge (a cycle, refused), and completing a task that 1,000 waiting agents' tasks depend on."""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from switchboard.config import Settings
from switchboard.errors import InvalidInput
from switchboard.hub import running_hub
from switchboard.storage import schema
from switchboard.tasks.models import Task, TaskDraft, TaskStatus
from switchboard.teams.models import Principal

LAYERS = 10
WIDTH = 100  # tasks per layer: 10 x 100 = 1,000 tasks


def layered_dag(*, back_edge: bool = False) -> list[TaskDraft]:
    """1,000 tasks in 10 layers of 100 with exactly 2,000 dependencies, all by `ref` within the batch.

    Each task of layers 1 to 9 depends on two tasks of the layer before (1,800 edges); the tasks of layers 2 and
    3 also depend on one of the layer two before (200 more). With `back_edge`, the first task of layer 0 also
    depends on the last task of layer 9, which closes a cycle through all ten layers.
    """

    def ref(layer: int, k: int) -> str:
        return f"L{layer}-{k}"

    drafts = []
    for layer in range(LAYERS):
        for k in range(WIDTH):
            deps: list[int | str] = []
            if layer >= 1:
                deps += [ref(layer - 1, k), ref(layer - 1, (k + 1) % WIDTH)]
            if layer in (2, 3):
                deps.append(ref(layer - 2, (k + 2) % WIDTH))
            if back_edge and (layer, k) == (0, 0):
                deps.append(ref(LAYERS - 1, WIDTH - 1))
            drafts.append(TaskDraft(ref=ref(layer, k), title=f"step {layer}.{k}", depends_on=deps))
    edges = sum(len(d.depends_on) for d in drafts)
    assert len(drafts) == 1000 and edges == 2000 + back_edge, (len(drafts), edges)
    return drafts


@dataclass(frozen=True)
class BatchTimes:
    created_ms: list[float]
    refused_ms: list[float]


async def batch_with_dependencies(url: str, data_dir: Path, rounds: int) -> BatchTimes:
    """Milliseconds per `create_tasks_batch` of the layered DAG, and per refusal of the same batch with a cycle;
    `rounds` of each, alternating, in one team."""
    settings = Settings(data_dir=data_dir, database_url=url, rate_burst=10**9)
    dag, cyclic = layered_dag(), layered_dag(back_edge=True)
    created, refused = [], []
    async with running_hub(settings) as hub:
        admin = await hub.keys.authenticate(settings.admin_key_file.read_text().strip())
        team = await hub.teams.create_team(admin, admin.org_id, f"dag {secrets.token_hex(3)}")
        for i in range(rounds):
            started = time.perf_counter()
            tasks = await hub.tasks.create_tasks_batch(admin, dag, team.id)
            created.append((time.perf_counter() - started) * 1000)
            assert len(tasks) == 1000 and sum(len(t.depends_on) for t in tasks) == 2000
            started = time.perf_counter()
            try:
                await hub.tasks.create_tasks_batch(admin, cyclic, team.id)
            except InvalidInput as exc:
                assert "cycle" in exc.message, exc.message
            else:
                raise AssertionError("a batch with a dependency cycle was accepted")
            refused.append((time.perf_counter() - started) * 1000)
            async with hub.db.read() as conn:
                count = await conn.scalar(sa.select(sa.func.count()).where(schema.tasks.c.team_id == team.id))
            assert count == 1000 * (i + 1), count
    return BatchTimes(created, refused)


@dataclass(frozen=True)
class FanOutTimes:
    """Milliseconds from the start of `complete_task` until: the first waiting agent was woken (the completion and
    its 1,000 dependents turned ready are committed: waiters are only told after the commit); the last one was
    woken (the target's "all unblocked and woken"); `complete_task` returned to its caller (it also runs the
    after-completion work, which shares the event loop and the connections with the woken waiters); and every
    waiting agent's `claim_next` returned its task.

    Woken means the waiting call resumed after its team's wake-up, before it reads the database again."""

    first_woken_ms: float
    woken_ms: float
    returned_ms: float
    claimed_ms: float
    # Waiting calls that failed instead of claiming their task, and the first failure.
    failed_claims: int = 0
    failure: str = ""


async def complete_with_dependents(url: str, data_dir: Path, dependents: int) -> FanOutTimes:
    """One task that `dependents` tasks depend on, each of those aimed at its own agent, who waits for work in
    `claim_next(wait_seconds=60)`. The root's holder completes it; see FanOutTimes for what is timed."""
    settings = Settings(data_dir=data_dir, database_url=url, rate_burst=10**9, db_pool_size=20)
    async with running_hub(settings) as hub:
        admin = await hub.keys.authenticate(settings.admin_key_file.read_text().strip())
        team = await hub.teams.create_team(admin, admin.org_id, f"fan-out {secrets.token_hex(3)}")
        lead = await hub.keys.authenticate((await hub.keys.create_key(admin, team.id, "lead")).plaintext)
        agents = [
            await hub.keys.authenticate((await hub.keys.create_key(admin, team.id, f"worker-{i}")).plaintext)
            for i in range(dependents)
        ]
        root = await hub.tasks.create_task(admin, TaskDraft(title="root", target="lead"), team.id)
        drafts = [
            TaskDraft(title=f"after root {i}", target=f"worker-{i}", depends_on=[root.id]) for i in range(dependents)
        ]
        await hub.tasks.create_tasks_batch(admin, drafts, team.id)
        claimed = await hub.claims.claim_next(lead)
        assert claimed is not None and claimed.id == root.id

        async def wait_for_work(agent: Principal) -> tuple[Task | None, float]:
            task = await hub.claims.claim_next(agent, wait_seconds=60)
            return task, time.perf_counter()

        waiters = [asyncio.create_task(wait_for_work(a)) for a in agents]
        await _until(lambda: hub.notifier.waiting(team.id) == dependents)
        woken: list[float] = []
        hub.notifier.on_wake.append(lambda _: woken.append(time.perf_counter()))
        started = time.perf_counter()
        await hub.claims.complete_task(lead, root.id, "SUCCESS")
        returned = time.perf_counter()
        outcomes = await asyncio.gather(*waiters, return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        answers = [o for o in outcomes if not isinstance(o, BaseException)]
        async with hub.db.read() as conn:
            ready_or_taken = await conn.scalar(
                sa.select(sa.func.count()).where(
                    schema.tasks.c.team_id == team.id,
                    schema.tasks.c.id != root.id,
                    schema.tasks.c.status.in_([TaskStatus.READY.value, TaskStatus.CLAIMED.value]),
                )
            )
        assert ready_or_taken == dependents, ready_or_taken
        assert all(task is not None and task.holder == task.target for task, _ in answers)
        assert len(woken) >= dependents, len(woken)
        woken.sort()
        return FanOutTimes(
            first_woken_ms=(woken[0] - started) * 1000,
            woken_ms=(woken[dependents - 1] - started) * 1000,
            returned_ms=(returned - started) * 1000,
            claimed_ms=(max(at for _, at in answers) - started) * 1000 if not failures else math.nan,
            failed_claims=len(failures),
            failure=f"{type(failures[0]).__name__}: {failures[0]}"[:200] if failures else "",
        )


async def _until(condition: object, timeout: float = 60) -> None:
    """Let other tasks of this loop run until `condition()` holds (they are in-process: no polling interval)."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the waiters did not all start waiting")
        await asyncio.sleep(0)
