"""Waiting for waiters: a test starts a waiting call, then changes something once the call is really waiting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup

from switchboard.storage.notifier import Notifier


async def until_waiting(notifier: Notifier, team_id: int, count: int = 1) -> None:
    """Return once `count` calls are blocked on the team's wake-up (checked, found nothing, now waiting)."""
    while notifier.waiting(team_id) < count:
        await anyio.sleep(0)


class Outcome:
    """The result of a call started in the background, readable once it has finished."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.value: Any = None

    async def result(self) -> Any:
        await self.done.wait()
        return self.value


def start(tg: TaskGroup, call: Callable[[], Awaitable[Any]]) -> Outcome:
    outcome = Outcome()

    async def run() -> None:
        outcome.value = await call()
        outcome.done.set()

    tg.start_soon(run)
    return outcome
