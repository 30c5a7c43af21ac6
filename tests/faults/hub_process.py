"""A real hub process (`switchboard serve`) that a test can SIGKILL and start again on the same data directory,
database and port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.live_hub import free_port, wait_until_ready

STANDBY = Path(__file__).with_name("standby_hub.py")
# The lease sweep's period in these hubs: short, so that a dead client's claim is back soon after its lease ends.
SWEEP_SECONDS = 0.5


@dataclass
class KillableHub:
    """One hub serving at a time, and the next one's process already started and waiting (see standby_hub.py)
    while the test still means to restart it."""

    workdir: Path
    database: str | None
    restarts: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    standby: subprocess.Popen[bytes] | None = None
    # Seconds from telling a process to serve to its first healthy answer, one per start.
    start_seconds: list[float] = field(default_factory=list)
    logs: dict[int, Path] = field(default_factory=dict)  # by process id

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def admin_key(self) -> str:
        return (self.data_dir / "admin.key").read_text().strip()

    @property
    def database_url(self) -> str:
        """The database the hub writes, for a test to read directly."""
        return self.database or f"sqlite+aiosqlite:///{self.data_dir / 'switchboard.db'}"

    def start(self) -> None:
        """Let the waiting process serve, wait until it answers, and ready the next one if it will be needed."""
        assert self.process is None, "the hub is already running"
        process = self.standby or self._spawn()
        self.standby = None
        began = time.monotonic()
        assert process.stdin is not None
        process.stdin.write(b"serve\n")
        process.stdin.close()
        self.process = process
        wait_until_ready(process, self.url, self.logs[process.pid])
        self.start_seconds.append(time.monotonic() - began)
        if len(self.start_seconds) <= self.restarts:
            self.standby = self._spawn()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye to anyone connected."""
        assert self.process is not None, "the hub is not running"
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL
        self.process = None

    def stop(self) -> None:
        for process in (self.process, self.standby):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.process = self.standby = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-P", str(STANDBY), "serve", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir), "--no-dispatch", "--log-level", "warning"]
        if self.database is not None:
            command += ["--database", self.database]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        env["SWITCHBOARD_SWEEP_INTERVAL"] = str(SWEEP_SECONDS)
        log_path = self.workdir / f"hub-{len(self.start_seconds)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.logs[process.pid] = log_path
        return process


@contextmanager
def killable_hub(workdir: Path, database: str | None, restarts: int) -> Iterator[KillableHub]:
    hub = KillableHub(workdir, database, restarts)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
