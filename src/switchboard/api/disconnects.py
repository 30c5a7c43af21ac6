"""Calls that wait end when their client hangs up, so they claim or read nothing for an answer no one receives.

Neither Starlette nor uvicorn cancels a handler whose client disconnected: it runs on until it answers, and only
then is the answer dropped. A call that waits for work would take the work first.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import anyio
from starlette.types import Receive

T = TypeVar("T")


class ClientDisconnected(Exception):
    """The client hung up before the call had its answer."""


async def unless_disconnected(receive: Receive | None, call: Awaitable[T], wait_seconds: float | None) -> T:
    """Await `call`, cancelling it if the client disconnects first (then `ClientDisconnected` is raised).

    `receive` is the request's own: once its body is read, the next message it gives is the disconnect. Without
    one (a stdio session), or for a call that does not wait (`wait_seconds` 0 or None), the call runs as it is:
    watching costs a task, and a call that answers at once has nothing to give up.
    """
    if receive is None or not wait_seconds:
        return await call
    answered: list[T] = []
    failed: list[Exception] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(_cancel_on_disconnect, receive, tg.cancel_scope)
        # Outcomes are kept and raised outside the task group, which would wrap them in an exception group.
        try:
            answered.append(await call)
        except Exception as exc:
            failed.append(exc)
        tg.cancel_scope.cancel()
    if failed:
        raise failed[0]
    if not answered:
        raise ClientDisconnected()
    return answered[0]


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
