from __future__ import annotations

import socket
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa

from switchboard.errors import Unavailable
from switchboard.hub import Hub
from switchboard.storage import schema as s
from switchboard.storage.notifier import LocalNotifier
from switchboard.tasks.models import TaskDraft
from switchboard.tasks.records import append_events
from switchboard.waiting import wait_until
from tests.conftest import World
from tests.wake.helpers import start, until_waiting

pytestmark = pytest.mark.anyio


async def test_a_waiter_is_woken_by_a_publish_for_its_team() -> None:
    notifier = LocalNotifier()
    await assert_publish_wakes(notifier, notifier)


async def assert_publish_wakes(publishing: LocalNotifier, waiting: LocalNotifier) -> None:
    """A call waiting on team 7 through `waiting` is woken by a publish for team 7 through `publishing`."""
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            woke = start(tg, lambda: waiting.subscribe(7).wait(30))
            await until_waiting(waiting, 7)
            await publishing.publish([7])
            assert await woke.result() is True


async def test_a_publish_for_another_team_does_not_wake_a_waiter() -> None:
    notifier = LocalNotifier()
    subscription = notifier.subscribe(7)
    await notifier.publish([8])
    with anyio.fail_after(5):
        assert await subscription.wait(0.01) is False


async def test_a_change_between_the_check_and_the_wait_is_not_missed() -> None:
    notifier = LocalNotifier()
    subscription = notifier.subscribe(7)
    await notifier.publish([7])  # the change lands after the check and before the wait
    with anyio.fail_after(5):
        assert await subscription.wait(30) is True
    assert notifier.waiting(7) == 0


async def test_a_wake_of_no_team_leaves_a_watch_waiting_for_its_timeout() -> None:
    notifier = LocalNotifier()
    watch = notifier.watch()
    notifier.wake_local([])
    notifier.wake_local([3])
    with anyio.fail_after(5):
        assert await watch.changes(30) == {3}
        notifier.wake_local([])
        assert await watch.changes(0.01) is None  # the timeout: every team is looked at


async def test_a_waiting_check_that_finds_the_database_away_tries_again_at_the_next_change() -> None:
    notifier = LocalNotifier()
    answers: list[str | Unavailable] = [Unavailable("database unavailable: restarting"), "", "the task"]
    looked_again = anyio.Event()

    async def check() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Unavailable):
            raise answer
        looked_again.set()
        return answer

    with anyio.fail_after(2):  # well below the 5 s periodic re-check
        async with anyio.create_task_group() as tg:
            got = start(tg, lambda: wait_until(notifier, 7, check, 60))
            await until_waiting(notifier, 7)
            await notifier.publish([7])  # the listener back: every waiter looks again, and finds nothing yet
            await looked_again.wait()
            await until_waiting(notifier, 7)
            await notifier.publish([7])
            assert await got.result() == "the task"


async def test_a_waiting_check_that_still_finds_the_database_away_at_its_deadline_raises() -> None:
    async def check() -> str:
        raise Unavailable("database unavailable: connection refused")

    with anyio.fail_after(2), pytest.raises(Unavailable):
        await wait_until(LocalNotifier(), 7, check, 0.05)


async def test_a_committed_event_wakes_the_team_after_the_commit(hub: Hub, world: World) -> None:
    manager = await world.manager()
    subscription = hub.notifier.subscribe(world.team.id)
    await hub.tasks.create_task(manager.principal, TaskDraft(title="Ship it"))
    with anyio.fail_after(5):
        assert await subscription.wait(0) is True


async def test_a_rolled_back_change_wakes_no_one(hub: Hub, world: World) -> None:
    subscription = hub.notifier.subscribe(world.team.id)
    with pytest.raises(RuntimeError):
        async with hub.db.write() as conn:
            await append_events(conn, world.team.id, "tester", hub.clock(), [(None, "noted", {})])
            raise RuntimeError("abandon the transaction")
    with anyio.fail_after(5):
        assert await subscription.wait(0) is False
    async with hub.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).where(s.events.c.kind == "noted")) == 0


async def test_sibling_processes_ring_each_other_at_once(tmp_path: Path) -> None:
    # No watch of the events table behind them: only the bell can carry the change across.
    ringing, rung = LocalNotifier(), LocalNotifier()
    for notifier in (ringing, rung):
        notifier.ring_siblings(tmp_path)
        await notifier.start()
    try:
        await assert_publish_wakes(ringing, rung)
    finally:
        await ringing.close()
        await rung.close()
    assert list(tmp_path.iterdir()) == []


async def test_a_sibling_that_died_without_closing_its_bell_is_forgotten(tmp_path: Path) -> None:
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(tmp_path / "12345-gone"))
    dead.close()
    notifier = LocalNotifier()
    notifier.ring_siblings(tmp_path)
    await notifier.start()
    try:
        await notifier.publish([7])
        assert [path.name for path in tmp_path.iterdir()] != [] and not (tmp_path / "12345-gone").exists()
    finally:
        await notifier.close()
