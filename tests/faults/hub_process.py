"""A real hub process (`switchboard serve`) that a test can SIGKILL and start again on the same data directory,
database and port."""

from __future__ import annotations

import os
import random
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.live_hub import wait_until_ready

FORKER = Path(__file__).with_name("hub_forker.py")
# The lease sweep's period in these hubs: short, so that a dead client's claim is back soon after its lease ends.
SWEEP_SECONDS = 0.5
EXIT_SECONDS = 10


class HubProcess:
    """A hub forked by the forker: not this process's child, so it is watched through a pidfd."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            self._pidfd = None  # gone already

    def wait(self, timeout: float | None = None) -> int | None:
        """Return once the process has ended; None, since the kernel reaps it and nobody learns its exit code."""
        if self._pidfd is not None and not select.select([self._pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(f"hub {self.pid}", timeout or 0)
        return None

    def send_signal(self, number: signal.Signals) -> None:
        with suppress(ProcessLookupError):
            os.kill(self.pid, number)

    def close(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


@dataclass
class KillableHub:
    """One hub at a time on the same data directory, database and port, forked by a forker started with the first."""

    workdir: Path
    database: str | None
    port: int = field(default_factory=lambda: port_outside_ephemeral_range())
    forker: subprocess.Popen[str] | None = None
    process: HubProcess | None = None
    # Seconds from forking a hub to its first healthy answer, one per start.
    start_seconds: list[float] = field(default_factory=list)

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
        """Start a hub and wait until it answers; each start logs to its own file."""
        assert self.process is None, "the hub is already running"
        forker = self.forker or self._start_forker()
        log_path = self.workdir / f"hub-{len(self.start_seconds)}.log"
        began = time.monotonic()
        assert forker.stdin is not None and forker.stdout is not None
        forker.stdin.write(f"{log_path}\n")
        forker.stdin.flush()
        answer = forker.stdout.readline()
        assert answer, f"the forker ended:\n{(self.workdir / 'forker.log').read_text()}"
        self.process = HubProcess(int(answer))
        wait_until_ready(self.process, self.url, log_path)
        self.start_seconds.append(time.monotonic() - began)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye to anyone connected."""
        assert self.process is not None, "the hub is not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=EXIT_SECONDS)
        self.process.close()
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=EXIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGKILL)
            self.process.close()
            self.process = None
        if self.forker is not None:
            self.forker.communicate(timeout=EXIT_SECONDS)
            self.forker = None

    def _start_forker(self) -> subprocess.Popen[str]:
        command = [sys.executable, "-P", str(FORKER), "serve", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir), "--no-dispatch", "--log-level", "warning"]
        if self.database is not None:
            command += ["--database", self.database]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        env["SWITCHBOARD_SWEEP_INTERVAL"] = str(SWEEP_SECONDS)
        with (self.workdir / "forker.log").open("w") as log:
            self.forker = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, text=True
            )
        return self.forker


def port_outside_ephemeral_range() -> int:
    """A free port the kernel never picks by itself, so that no outgoing connection can take it in the moment
    between a kill and the restart."""
    lowest_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(100):
        port = random.randrange(max(1024, lowest_ephemeral - 10_000), lowest_ephemeral)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port below the ephemeral range")


@contextmanager
def killable_hub(workdir: Path, database: str | None) -> Iterator[KillableHub]:
    hub = KillableHub(workdir, database)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
