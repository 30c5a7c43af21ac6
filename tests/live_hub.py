"""A real hub process (`python -m switchboard serve`) on a free port, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import pytest

BACKEND_PARAMS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
READY_TIMEOUT_SECONDS = 30
# Between health checks the loop waits on the process itself, so a hub that dies is noticed at once.
POLL_SECONDS = 0.05


class Exitable(Protocol):
    """A hub's process as `wait_until_ready` watches it: `wait` raises TimeoutExpired while it runs."""

    def wait(self, timeout: float | None = None) -> int | None: ...


@dataclass(frozen=True)
class LiveHub:
    url: str
    data_dir: Path
    database: str | None
    backend: str

    @property
    def admin_key(self) -> str:
        return (self.data_dir / "admin.key").read_text().strip()

    @property
    def env(self) -> dict[str, str | None]:
        """The environment a CLI command needs to reach this hub as its admin (None unsets a variable)."""
        return {"SWITCHBOARD_URL": self.url, "SWITCHBOARD_DATA_DIR": str(self.data_dir), "SWITCHBOARD_KEY": None}


def live_hub_for(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    """Body of a module-scoped fixture parametrised with BACKEND_PARAMS."""
    backend: str = request.param
    database: str | None = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    with serving(tmp_path_factory.mktemp(f"hub-{backend}"), database, backend) as hub:
        yield hub


@contextmanager
def serving(
    workdir: Path,
    database: str | None,
    backend: str,
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[LiveHub]:
    port = free_port()
    data_dir = workdir / "data"
    command = [sys.executable, "-m", "switchboard", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    command += extra or []
    if database is not None:
        command += ["--database", database]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}, **(env or {})}
    log_path = workdir / "hub.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(process, url, log_path)
        yield LiveHub(url, data_dir, database, backend)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(process: Exitable, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:
            code = process.wait(timeout=POLL_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"the hub exited with {code} before it was ready:\n{log_path.read_text()}")
    pytest.fail(f"the hub was not ready within {READY_TIMEOUT_SECONDS}s:\n{log_path.read_text()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
