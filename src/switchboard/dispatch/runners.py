"""Runners: how a turn reaches its agent. `command` runs a process and waits for it; `webhook` POSTs the turn,
signed, to an agent that runs elsewhere."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import httpx

from switchboard.dispatch.models import RunOutcome, TurnStatus, WebhookRunner
from switchboard.webhooks.signing import signature

log = logging.getLogger("switchboard.dispatch")
TAIL_BYTES = 15_000  # with its "earlier bytes" line, within what a turn keeps
# After SIGTERM a process gets this long to stop before SIGKILL.
KILL_GRACE_SECONDS = 5.0
BACKOFF_SECONDS = 1.0


class OutputTail:
    """The last `limit` bytes of a stream, however much flows through."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.limit = limit
        self.total = 0
        self._chunks: deque[bytes] = deque()
        self._kept = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self._chunks.append(chunk)
        self._kept += len(chunk)
        while self._kept - len(self._chunks[0]) >= self.limit:
            self._kept -= len(self._chunks.popleft())

    def text(self) -> str:
        data = b"".join(self._chunks)[-self.limit :]
        cut = f"[{self.total - len(data)} earlier bytes not kept]\n" if self.total > len(data) else ""
        return cut + data.decode("utf-8", errors="replace")


async def run_command(argv: list[str], *, cwd: Path, env: Mapping[str, str], timeout_seconds: float) -> RunOutcome:
    """Run the turn's process in its own process group; past the timeout the whole group is stopped."""
    tail = OutputTail()
    try:
        process = await anyio.open_process(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return RunOutcome(TurnStatus.ERROR, error=f"could not start {argv[0]!r}: {exc}")
    try:
        with anyio.move_on_after(timeout_seconds) as scope:
            assert process.stdout is not None
            async for chunk in process.stdout:
                tail.add(chunk)
            await process.wait()
        if scope.cancelled_caught:
            await _stop_group(process)
            return RunOutcome(
                TurnStatus.TIMED_OUT,
                exit_code=process.returncode,
                output_tail=tail.text(),
                error=f"still running after {timeout_seconds:g}s; stopped",
            )
    except BaseException:
        # The dispatcher is stopping: leave no process behind.
        with anyio.CancelScope(shield=True):
            await _stop_group(process)
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await process.aclose()
    code = process.returncode
    status = TurnStatus.SUCCEEDED if code == 0 else TurnStatus.FAILED
    return RunOutcome(status, exit_code=code, output_tail=tail.text(), error=None if code == 0 else f"exit code {code}")


async def _stop_group(process: anyio.abc.Process) -> None:
    for sig, grace in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, KILL_GRACE_SECONDS)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with anyio.move_on_after(grace):
            await process.wait()
            return


async def post_webhook(
    runner: WebhookRunner, payload: dict[str, Any], backoff_seconds: float = BACKOFF_SECONDS
) -> RunOutcome:
    """POST the turn, signed like outgoing webhooks, retrying with backoff; 2xx ends the turn as delivered."""
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    errors: list[str] = []
    async with httpx.AsyncClient(timeout=runner.timeout_seconds) as client:
        for attempt in range(1, runner.attempts + 1):
            timestamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "switchboard-dispatcher",
                "X-Switchboard-Event": "turn",
                "X-Switchboard-Delivery": f"turn-{payload['turn_id']}",
                "X-Switchboard-Timestamp": str(timestamp),
                "X-Switchboard-Signature": signature(runner.secret, timestamp, body),
            }
            try:
                response = await client.post(runner.url, content=body, headers=headers)
                if response.is_success:
                    return RunOutcome(
                        TurnStatus.SUCCEEDED, exit_code=response.status_code, output_tail=response.text[:TAIL_BYTES]
                    )
                errors.append(f"attempt {attempt}: HTTP {response.status_code}")
                last_code: int | None = response.status_code
            except httpx.HTTPError as exc:
                errors.append(f"attempt {attempt}: {type(exc).__name__}: {exc}")
                last_code = None
            if attempt < runner.attempts:
                await anyio.sleep(backoff_seconds * 2 ** (attempt - 1))
    return RunOutcome(TurnStatus.FAILED, exit_code=last_code, output_tail="\n".join(errors), error=errors[-1])
