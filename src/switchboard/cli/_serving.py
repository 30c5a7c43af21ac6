"""How `serve` runs the web server: the server's settings, and `serve --workers N`, N hub processes answering on
one listening socket.

One Python process answers about 900 REST reads a second with its core busy, whatever its database does; more
take more processes. uvicorn's supervisor starts the workers, hands each the socket, and replaces one that dies or
hangs. Each worker is a hub of its own over the shared database, as two hubs beside each other are:

- wake-ups cross between them as between any hubs (LISTEN/NOTIFY on PostgreSQL; on SQLite, a datagram to each
  sibling, with the events-table watch behind it);
- the worker holding a lock file runs the periodic work and the dispatcher, and another takes them over when it
  exits;
- /metrics, answered by any worker, sums the series of all of them (prometheus_client's multiprocess files);
- rate limits are counted per worker: a key may reach up to N times its rate over several connections.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

import anyio
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from switchboard.api.app import HubApp, create_app
from switchboard.cli._memory import freeze_startup_objects, pin_mmap_threshold
from switchboard.config import Settings
from switchboard.dispatch.dispatcher import Dispatcher
from switchboard.hub import Hub
from switchboard.logs import LogFormat, log_to_stderr
from switchboard.storage.notifier import LocalNotifier

# How often a worker that does not lead tries the lock again.
LEAD_RETRY_SECONDS = 1.0


def dispatcher_for(hub: Hub, settings: Settings) -> Dispatcher:
    return Dispatcher(hub, hub_url=settings.hub_url, max_turns=settings.max_turns)


def server_config(
    app: ASGIApp, settings: Settings, log_level: str, log_format: LogFormat, workers: int = 1
) -> uvicorn.Config:
    json_lines = log_format == LogFormat.JSON
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=log_level,
        lifespan="on",
        # JSON lines: the server's loggers go through the root handler, and requests are logged by the app.
        log_config=None if json_lines else LOGGING_CONFIG,
        access_log=not json_lines,
    )


def serve_workers(settings: Settings, log_level: str, log_format: LogFormat, workers: int) -> None:
    """Run `workers` worker processes until a signal stops them. The database must be migrated already."""
    with tempfile.TemporaryDirectory(prefix="switchboard-workers-") as shared:
        run_dir = Path(shared)
        (run_dir / "metrics").mkdir()
        (run_dir / "bells").mkdir()
        # Read by prometheus_client when a worker imports it.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(run_dir / "metrics")
        app = WorkerApp(settings, log_level, log_format, run_dir)
        config = server_config(app, settings, log_level, log_format, workers)
        sock = config.bind_socket()
        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            sock.close()
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


class WorkerApp:
    """The app of one worker: pickled across to the worker process, which builds its hub when the server starts
    (the lifespan) and closes it when the server stops."""

    def __init__(self, settings: Settings, log_level: str, log_format: LogFormat, run_dir: Path) -> None:
        self.settings = settings
        self.log_level = log_level
        self.log_format = log_format
        self.run_dir = run_dir
        self._app: HubApp | None = None

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_app": None}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        elif self._app is not None:
            await self._app(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        log_to_stderr(self.log_level, self.log_format)
        pin_mmap_threshold()
        settings = self.settings
        hub = Hub(settings)
        try:
            if isinstance(hub.notifier, LocalNotifier):
                hub.notifier.ring_siblings(self.run_dir / "bells")
            dispatcher = dispatcher_for(hub, settings) if settings.dispatch else None
            self._app = create_app(hub, dispatcher=dispatcher, leading=lambda: lead(self.run_dir / "leader.lock"))
            freeze_startup_objects()
            await self._app(scope, receive, send)
        finally:
            await hub.close()


async def lead(lock_file: Path) -> None:
    """Return once this process holds `lock_file`'s lock, which it keeps until it exits (the system releases it
    then, however the process ends)."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            await anyio.sleep(LEAD_RETRY_SECONDS)
    except BaseException:
        os.close(fd)
        raise
