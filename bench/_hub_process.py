"""A hub started as its own process for a measurement: its port, and waiting until it answers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class HubProcess:
    base: str
    port: int
    admin_key: str
    pid: int


@asynccontextmanager
async def hub_process(url: str, data_dir: Path, env: dict[str, str] | None = None) -> AsyncIterator[HubProcess]:
    """`python -m switchboard serve` on a free port with the given database, stopped when the block ends.

    Its per-key burst is large: a measurement's back-to-back calls from one key would trip the default limit,
    which is not what is measured."""
    port = free_port()
    environment = {
        **os.environ,
        "SWITCHBOARD_DATA_DIR": str(data_dir),
        "SWITCHBOARD_DATABASE_URL": url,
        "SWITCHBOARD_RATE_BURST": "100000",
        **(env or {}),
    }
    command = [sys.executable, "-m", "switchboard", "serve", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        admin_key = await wait_ready(base, data_dir / "admin.key", server)
        yield HubProcess(base, port, admin_key, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)


async def wait_ready(base: str, key_file: Path, server: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=base) as http:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError("the hub exited before it was ready")
            try:
                if (await http.get("/healthz")).status_code == 200 and key_file.exists():
                    return key_file.read_text().strip()
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError("the hub did not become ready within 30 s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and the processes it started (a hub's workers) have used so far."""
    total = 0.0
    for each in process_tree(pid):
        # A process may end while it is read.
        with suppress(FileNotFoundError, ProcessLookupError):
            # The fields after the command's closing parenthesis; utime and stime are the 12th and 13th of them.
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mib(pid: int) -> float:
    """Resident memory of a process and the processes it started, in MiB (pages they share counted for each)."""
    total = 0.0
    for each in process_tree(pid):
        with suppress(FileNotFoundError, ProcessLookupError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    tree = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(FileNotFoundError, ProcessLookupError):
            for child in (task / "children").read_text().split():
                tree.extend(process_tree(int(child)))
    return tree
