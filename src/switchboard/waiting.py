"""Waiting calls: check, and if nothing is there yet, wait for the team to change and check again.

A waiter holds no database connection while it waits, only a place in its team's wake-up list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from switchboard.errors import InvalidInput, Unavailable
from switchboard.storage.notifier import Notifier

T = TypeVar("T")

WAIT_MAX_SECONDS = 300.0
# The seed's managers wait an hour for sub-tasks to finish.
COMPLETION_WAIT_MAX_SECONDS = 3600.0


def check_wait_seconds(
    wait_seconds: float | None, limit: float = WAIT_MAX_SECONDS, field: str = "wait_seconds"
) -> float:
    """The wait asked for, refused when negative or over `limit`; None means do not wait."""
    if wait_seconds is None:
        return 0.0
    if not 0 <= wait_seconds <= limit:
        raise InvalidInput(f"{field} must be from 0 to {limit:g}", field=field, limit=limit, value=wait_seconds)
    return float(wait_seconds)


async def wait_until(
    notifier: Notifier,
    team_id: int,
    check: Callable[[], Awaitable[T]],
    wait_seconds: float,
    found: Callable[[T], bool] = bool,
) -> T:
    """Run `check` until `found` accepts its result or `wait_seconds` pass; return its last result.

    It runs again whenever the team changes, and at least every `notifier.recheck_seconds` in case a
    notification was lost. A check that finds the database unavailable is tried again the same way, so a
    waiting call rides out an outage; only when the time is up does the caller hear of it.
    """
    if wait_seconds <= 0:
        return await check()
    deadline = anyio.current_time() + wait_seconds
    while True:
        subscription = notifier.subscribe(team_id)
        try:
            result = await check()
        except Unavailable:
            if anyio.current_time() >= deadline:
                raise
        else:
            if found(result) or anyio.current_time() >= deadline:
                return result
        await subscription.wait(min(deadline - anyio.current_time(), notifier.recheck_seconds))
