"""Background loops that outlive their failures.

A loop runs passes; each pass is one or more jobs. A job that fails because the database is unavailable (a
`SwitchboardError`) is logged as a warning and tried again next pass. Anything else is a bug or a surprise: it is
logged with its traceback, counted, and the loop pauses before its next pass, doubling the pause with each failed
pass in a row, so a failure that repeats neither stops the loop nor spins it. A good pass ends the pauses.
Cancellation is never caught: it stops the loop at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import anyio

from switchboard.errors import SwitchboardError

log = logging.getLogger("switchboard.background")

FIRST_PAUSE_SECONDS = 0.1
LONGEST_PAUSE_SECONDS = 5.0
# Told the name of each job that failed unexpectedly.
ErrorListener = Callable[[str], None]


class BackgroundLoop:
    """The failures of one loop's passes, and the pause they call for."""

    def __init__(self, on_error: ErrorListener | None = None) -> None:
        self.on_error = on_error
        self.pause_seconds = 0.0
        self._failed = False

    @contextmanager
    def job(self, name: str) -> Iterator[None]:
        """Run one job of the pass; whatever it raises, short of cancellation, is logged and the pass goes on.
        `name` (snake_case) labels the job in the log and the error count."""
        try:
            yield
        except SwitchboardError as exc:
            log.warning("%s skipped: %s", name.replace("_", " "), exc.message)
        except Exception:
            self.failed(name)

    def failed(self, name: str) -> None:
        """Note a job (or a part of one) that failed unexpectedly: call it from an `except` block."""
        log.exception("%s failed; it runs again next time", name.replace("_", " "))
        self._failed = True
        if self.on_error is not None:
            self.on_error(name)

    async def pause(self) -> None:
        """End the pass: after one in which a job failed unexpectedly, wait, longer each time in a row."""
        if not self._failed:
            self.pause_seconds = 0.0
            return
        self._failed = False
        self.pause_seconds = min(max(self.pause_seconds * 2, FIRST_PAUSE_SECONDS), LONGEST_PAUSE_SECONDS)
        await anyio.sleep(self.pause_seconds)
