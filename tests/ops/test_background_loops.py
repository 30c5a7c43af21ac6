"""The hub's background loops outlive an unexpected failure in one pass: it is logged with its traceback, counted
on /metrics, and the loop carries on doing its job; cancellation still stops a loop at once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from switchboard import background
from switchboard.api.app import create_app
from switchboard.background import FIRST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS, BackgroundLoop
from switchboard.config import Settings
from switchboard.dispatch import dispatcher as dispatch_module
from switchboard.dispatch.dispatcher import Dispatcher
from switchboard.dispatch.models import TurnStatus
from switchboard.errors import Unavailable
from switchboard.hub import Hub
from switchboard.tasks.models import TaskDraft, TaskStatus
from switchboard.waiting import wait_until
from tests.conftest import FakeClock, World
from tests.dispatch.conftest import Scene
from tests.ops.series import sample, scrape

T = TypeVar("T")
ERRORS = "switchboard_background_errors_total"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # The housekeeping loop runs every few milliseconds, so a test sees several passes quickly.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        rate_per_second=10_000,
        rate_burst=10_000,
        sweep_interval_seconds=0.02,
    )


def failing_once(real: Callable[..., Awaitable[T]], failed: anyio.Event) -> Callable[..., Awaitable[T]]:
    """`real`, except that its first call raises an error nobody expects."""

    async def call(*args: Any, **kwargs: Any) -> T:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("a bug in one pass")
        return await real(*args, **kwargs)

    return call


@asynccontextmanager
async def serving(
    hub: Hub, *, periodic: bool, dispatcher: Dispatcher | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The hub's app with its background loops running, and a client to read its /metrics."""
    app = create_app(hub, periodic=periodic, dispatcher=dispatcher)
    async with app.running():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def tracebacks(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage() and r.exc_info is not None]


async def test_the_lease_sweep_still_returns_an_expired_claim_after_a_pass_that_raised(
    world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t", lease_seconds=60), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    clock.advance(61)
    failed = anyio.Event()
    monkeypatch.setattr(hub.claims, "sweep_expired_leases", failing_once(hub.claims.sweep_expired_leases, failed))

    async def returned() -> bool:
        return (await hub.tasks.get_task(world.admin, task.id)).task.status == TaskStatus.READY

    async with serving(hub, periodic=True) as http:
        with anyio.fail_after(5):
            await failed.wait()
            assert await wait_until(hub.notifier, world.team.id, returned, 5)
        text = await scrape(http)

    assert sample(text, ERRORS, loop="lease_sweep") == 1
    assert len(tracebacks(caplog, "lease sweep failed")) == 1


async def test_one_housekeeping_job_that_raises_does_not_keep_the_others_from_running(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = world.hub

    async def broken() -> int:
        raise RuntimeError("a bug in the question expiry")

    closed = anyio.Event()
    close_silent = hub.sessions.close_silent

    async def closing() -> int:
        closed.set()
        return await close_silent()

    monkeypatch.setattr(hub.questions, "expire_due", broken)
    monkeypatch.setattr(hub.sessions, "close_silent", closing)
    await hub.housekeeping()
    assert closed.is_set()
    assert sample(hub.metrics.exposition().decode(), ERRORS, loop="question_expiry") == 1


async def test_the_dispatcher_still_starts_a_turn_after_a_scan_that_raised(
    scene: Scene, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hub = scene.hub
    await scene.agent("builder")
    task = await hub.tasks.create_task(scene.admin, TaskDraft(title="t", target="builder"), scene.team.id)
    failed = anyio.Event()
    monkeypatch.setattr(dispatch_module, "load_agents", failing_once(dispatch_module.load_agents, failed))
    # Nothing changes after the failed scan: the next one is the periodic scan.
    dispatcher = Dispatcher(hub, hub_url="http://127.0.0.1:9", scan_seconds=0.2)

    async with serving(hub, periodic=False, dispatcher=dispatcher) as http:
        (turn,) = await scene.ended_turns("builder", 1, timeout=10)
        text = await scrape(http)

    assert failed.is_set()
    assert turn.status == TurnStatus.SUCCEEDED and turn.task_id == task.id
    assert sample(text, ERRORS, loop="dispatch_scan") == 1
    assert len(tracebacks(caplog, "dispatch scan failed")) == 1


async def test_an_agent_whose_turn_never_starts_does_not_hold_up_the_agents_after_it(
    scene: Scene, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hub = scene.hub
    stuck = await scene.agent("first")
    await scene.agent("second")
    tasks = [
        await hub.tasks.create_task(scene.admin, TaskDraft(title=f"for {name}", target=name), scene.team.id)
        for name in ("first", "second")
    ]
    dispatcher = Dispatcher(hub, hub_url="http://127.0.0.1:9", scan_seconds=0.2)
    real_start = dispatcher._start

    async def start(agent: Any, runner: Any) -> Any:
        if agent.id == stuck.id:
            raise RuntimeError("a bug that hits this agent every time")
        return await real_start(agent, runner)

    monkeypatch.setattr(dispatcher, "_start", start)

    async with serving(hub, periodic=False, dispatcher=dispatcher) as http:
        (turn,) = await scene.ended_turns("second", 1, timeout=10)
        text = await scrape(http)

    # The stuck agent's task would still be waiting for a turn: on the PostgreSQL database the tests share, the
    # next test's dispatcher (which scans every team) would give it one.
    await hub.tasks.cancel_task(scene.admin, tasks[0].id)
    assert turn.status == TurnStatus.SUCCEEDED
    assert sample(text, ERRORS, loop="turn_start") >= 1
    assert tracebacks(caplog, "turn start failed")


async def test_a_loop_failing_every_pass_backs_off_and_still_stops_at_once_when_cancelled(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = world.hub
    failures = 0
    third = anyio.Event()

    async def broken() -> None:
        nonlocal failures
        failures += 1
        if failures == 3:
            third.set()
        raise RuntimeError("a bug in every pass")

    monkeypatch.setattr(hub.claims, "sweep_expired_leases", broken)
    async with anyio.create_task_group() as group:
        group.start_soon(hub.run_periodic)
        with anyio.fail_after(5):
            await third.wait()
        # The loop is now pausing before its fourth pass (0.4 s after three failures in a row).
        group.cancel_scope.cancel()
        stopping = anyio.current_time()
    assert anyio.current_time() - stopping < 0.1
    assert failures == 3


async def test_the_pause_after_failed_passes_doubles_up_to_a_bound_and_a_good_pass_ends_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(background.anyio, "sleep", sleep)
    loop = BackgroundLoop()
    for _ in range(8):
        with loop.job("broken"):
            raise RuntimeError("a bug")
        await loop.pause()
    with loop.job("fixed"):
        pass
    await loop.pause()
    with loop.job("unavailable"):
        raise Unavailable("database unavailable")
    await loop.pause()
    with loop.job("broken"):
        raise RuntimeError("a bug")
    await loop.pause()
    doubling = [FIRST_PAUSE_SECONDS * 2**n for n in range(6)]
    assert doubling[-1] < LONGEST_PAUSE_SECONDS < doubling[-1] * 2
    assert pauses == pytest.approx([*doubling, LONGEST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS])


async def test_cancellation_inside_a_job_is_not_caught() -> None:
    loop = BackgroundLoop()
    ran_on = False
    with anyio.CancelScope() as scope:
        with loop.job("cancelled"):
            scope.cancel()
            await anyio.sleep(1)
        ran_on = True
    assert scope.cancelled_caught and not ran_on
