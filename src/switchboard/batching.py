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
    answered: bool = False
    answer: Answer | None = None
    error: Exception | None = None

    def settle(self, outcome: Answer | Exception) -> None:
        if isinstance(outcome, Exception):
            self.error = outcome
        else:
            self.answer = outcome
        self.answered = True


class Batcher(Generic[Request, Answer]):
    """Runs `run_batch` over the requests waiting, one batch at a time, in arrival order.

    The caller whose turn it is runs the batch for everyone in it (no background task), shielded from its own
    cancellation so the others get their answers. Callers waiting meanwhile wait for that batch to end (one event
    per batch, not per call): those it answered return, and the first of the rest to run starts the next batch with
    everything waiting. A caller cancelled before its batch starts is left out of it; one cancelled once it is in a
    batch waits for its answer and hands it to `unreceived` (if given) before it goes, so what the batch did for it
    can be undone.
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
        # Set when the batch running now ends; made when a batch starts.
        self._batch_ended: anyio.Event | None = None

    async def submit(self, request: Request) -> Answer:
        call: _Call[Request, Answer] = _Call(request)
        self._waiting.append(call)
        try:
            while not call.answered:
                if not self._running:
                    await self._run_next()
                else:
                    await self._end_of_batch()
        except anyio.get_cancelled_exc_class():
            if call in self._waiting:
                self._waiting.remove(call)
            elif self._unreceived is not None:
                await self._hand_back(call, self._unreceived)
            raise
        if call.error is not None:
            raise call.error
        return call.answer  # type: ignore[return-value]

    async def _end_of_batch(self) -> None:
        assert self._batch_ended is not None
        await self._batch_ended.wait()

    async def _hand_back(self, call: _Call[Request, Answer], unreceived: Unreceived[Request, Answer]) -> None:
        """For a caller cancelled once in a batch: wait for the answer it will not take, and pass it on."""
        # Shielded: the caller is going, but what its batch did for it must be undone first.
        with anyio.CancelScope(shield=True):
            while not call.answered:
                await self._end_of_batch()
            if call.error is not None:
                return
            try:
                await unreceived(call.request, call.answer)  # type: ignore[arg-type]
            except Exception:
                log.exception("handing back an answer its caller never received")

    async def _run_next(self) -> None:
        self._running = True
        self._batch_ended = ended = anyio.Event()
        batch, self._waiting = self._waiting[: self._max_size], self._waiting[self._max_size :]
        try:
            with anyio.CancelScope(shield=True):
                try:
                    outcomes: Sequence[Answer | Exception] = await self._run_batch([c.request for c in batch])
                except Exception as exc:
                    outcomes = [exc] * len(batch)
            for call, outcome in zip(batch, outcomes, strict=True):
                call.settle(outcome)
        finally:
            for call in batch:
                if not call.answered:
                    call.settle(RuntimeError("the batch this call was in did not finish"))
            self._running = False
            ended.set()
