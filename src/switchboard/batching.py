"""Calls that arrive together run together: one transaction for many claims or completions.

Each write transaction costs round trips and, on SQLite, a turn at the single writer. When many agents call at
once, a `Batcher` hands whatever queued up while one batch ran to the next batch, so the cost is paid once per
batch instead of once per call. A lone call runs at once: nothing waits for a batch to fill.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio

log = logging.getLogger("switchboard")

Request = TypeVar("Request")
Answer = TypeVar("Answer")
MAX_BATCH = 256

# Answers one result or exception per request, in order; an exception it raises answers the whole batch.
RunBatch = Callable[[Sequence[Request]], Awaitable[Sequence[Answer | Exception]]]
# Told of an answer whose caller was cancelled once its request was in a batch, so never took it.
Unreceived = Callable[[Request, Answer], Awaitable[None]]


@dataclass(eq=False)
class _Call(Generic[Request, Answer]):
    request: Request
    # Events are made only when needed (a lone call runs at once), as each costs a lookup of the async library:
    # `wake` when the call waits its turn, `settled` when its cancelled caller waits to hand its answer back.
    wake: anyio.Event | None = None
    settled: anyio.Event | None = None
    answered: bool = False
    answer: Answer | None = None
    error: Exception | None = None

    def settle(self, outcome: Answer | Exception) -> None:
        if isinstance(outcome, Exception):
            self.error = outcome
        else:
            self.answer = outcome
        self.answered = True
        for event in (self.settled, self.wake):
            if event is not None:
                event.set()


class Batcher(Generic[Request, Answer]):
    """Runs `run_batch` over the requests waiting, one batch at a time, in arrival order.

    The caller whose turn it is runs the batch for everyone in it (no background task), shielded from its own
    cancellation so the others get their answers. A caller cancelled before its batch starts is left out of it;
    one cancelled once it is in a batch waits for its answer and hands it to `unreceived` (if given) before it
    goes, so what the batch did for it can be undone.
    """

    def __init__(
        self,
        run_batch: RunBatch[Request, Answer],
        max_size: int = MAX_BATCH,
        unreceived: Unreceived[Request, Answer] | None = None,
    ) -> None:
        self._run_batch = run_batch
        self._max_size = max_size
        self._unreceived = unreceived
        self._waiting: list[_Call[Request, Answer]] = []
        self._running = False
        self.batches = 0

    async def submit(self, request: Request) -> Answer:
        call: _Call[Request, Answer] = _Call(request)
        self._waiting.append(call)
        try:
            while not call.answered:
                if not self._running:
                    await self._run_next()
                    continue
                call.wake = anyio.Event()
                await call.wake.wait()
        except anyio.get_cancelled_exc_class():
            if self._unreceived is not None and call not in self._waiting:
                await self._hand_back(call, self._unreceived)
            raise
        finally:
            if not call.answered:
                if call in self._waiting:
                    self._waiting.remove(call)
                self._pass_turn()
        if call.error is not None:
            raise call.error
        return call.answer  # type: ignore[return-value]

    @staticmethod
    async def _hand_back(call: _Call[Request, Answer], unreceived: Unreceived[Request, Answer]) -> None:
        """For a caller cancelled once in a batch: wait for the answer it will not take, and pass it on."""
        # Shielded: the caller is going, but what its batch did for it must be undone first.
        with anyio.CancelScope(shield=True):
            if not call.answered:
                call.settled = anyio.Event()
                await call.settled.wait()
            if call.error is not None:
                return
            try:
                await unreceived(call.request, call.answer)  # type: ignore[arg-type]
            except Exception:
                log.exception("handing back an answer its caller never received")

    async def _run_next(self) -> None:
        self._running = True
        batch, self._waiting = self._waiting[: self._max_size], self._waiting[self._max_size :]
        try:
            with anyio.CancelScope(shield=True):
                try:
                    outcomes: Sequence[Answer | Exception] = await self._run_batch([c.request for c in batch])
                except Exception as exc:
                    outcomes = [exc] * len(batch)
                self.batches += 1
            for call, outcome in zip(batch, outcomes, strict=True):
                call.settle(outcome)
        finally:
            for call in batch:
                if not call.answered:
                    call.settle(RuntimeError("the batch this call was in did not finish"))
            self._running = False
            self._pass_turn()

    def _pass_turn(self) -> None:
        """The first caller still waiting runs the next batch."""
        # The first waiting call either waits on its event or has yet to look at `_running`, which it will.
        if not self._running and self._waiting and (wake := self._waiting[0].wake) is not None:
            wake.set()
