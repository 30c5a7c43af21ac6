"""A hub started as its own process for a measurement: its port, and waiting until it answers."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from pathlib import Path

import httpx


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
