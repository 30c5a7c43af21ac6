"""`make bench`: claim+complete throughput through the service, and MCP `claim_next` latency over HTTP.

Prints a Markdown table; each figure is the median of several runs on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from switchboard.config import Settings
from switchboard.hub import running_hub
from switchboard.tasks.models import TaskDraft

PG_SERVER = os.environ.get("SWITCHBOARD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


async def claim_complete_throughput(url: str, data_dir: Path, workers: int, tasks: int) -> float:
    """Tasks claimed and completed per second by `workers` concurrent agents through the service."""
    settings = Settings(data_dir=data_dir, database_url=url, db_pool_size=workers, rate_burst=10**9)
    async with running_hub(settings) as hub:
        admin = await hub.keys.authenticate(settings.admin_key_file.read_text().strip())
        team = await hub.teams.create_team(admin, admin.org_id, f"bench {secrets.token_hex(3)}")
        agents = []
        for i in range(workers):
            issued = await hub.keys.create_key(admin, team.id, f"worker-{i}")
            agents.append(await hub.keys.authenticate(issued.plaintext))
        for start in range(0, tasks, 1000):
            drafts = [TaskDraft(title=f"t{i}") for i in range(start, min(tasks, start + 1000))]
            await hub.tasks.create_tasks_batch(admin, drafts, team.id)

        async def work(agent: object) -> int:
            done = 0
            while (task := await hub.claims.claim_next(agent)) is not None:  # type: ignore[arg-type]
                await hub.claims.complete_task(agent, task.id, "SUCCESS")  # type: ignore[arg-type]
                done += 1
            return done

        started = time.perf_counter()
        counts = await asyncio.gather(*(work(a) for a in agents))
        elapsed = time.perf_counter() - started
        assert sum(counts) == tasks, (sum(counts), tasks)
        return tasks / elapsed


async def mcp_claim_next_latency(url: str, data_dir: Path, calls: int) -> list[float]:
    """Milliseconds per `claim_next` tool call (nothing ready) over Streamable HTTP to a hub in its own process."""
    port = _free_port()
    env = {**os.environ, "SWITCHBOARD_DATA_DIR": str(data_dir), "SWITCHBOARD_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "switchboard", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        admin_key = await _wait_ready(base, data_dir / "admin.key", server)
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {admin_key}"}) as http:
            org_id = (await http.get("/api/v1/whoami")).json()["org_id"]
            team = (
                await http.post(f"/api/v1/orgs/{org_id}/teams", json={"name": f"lat {secrets.token_hex(3)}"})
            ).json()
            key = (await http.post(f"/api/v1/teams/{team['id']}/keys", json={"program_id": "builder"})).json()["key"]
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as client_http,
            Client(streamable_http_client(f"{base}/mcp", http_client=client_http)) as client,
        ):
            for _ in range(50):
                await client.call_tool("claim_next", {})
            samples = []
            for _ in range(calls):
                started = time.perf_counter()
                result = await client.call_tool("claim_next", {})
                samples.append((time.perf_counter() - started) * 1000)
                assert not result.is_error, result
        return samples
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _wait_ready(base: str, key_file: Path, server: subprocess.Popen[bytes]) -> str:
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _postgres_database() -> str:
    name = f"switchboard_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{PG_SERVER}/{name}"


async def _drop(url: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rows = []
    for backend in ("sqlite", "postgres"):
        rates, latencies = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                url = "" if backend == "sqlite" else await _postgres_database()
                try:
                    rates.append(await claim_complete_throughput(url, Path(tmp), args.workers, args.tasks))
                finally:
                    if url:
                        await _drop(url)
            with tempfile.TemporaryDirectory() as tmp:
                url = "" if backend == "sqlite" else await _postgres_database()
                try:
                    latencies.append(await mcp_claim_next_latency(url, Path(tmp), args.calls))
                finally:
                    if url:
                        await _drop(url)
        rows.append(
            (
                backend,
                statistics.median(rates),
                statistics.median(statistics.median(s) for s in latencies),
                statistics.median(_percentile(s, 99) for s in latencies),
            )
        )
    print(
        f"\n{args.workers} workers, {args.tasks} tasks, {args.calls} sequential MCP calls, median of {args.runs} runs\n"
    )
    print("| backend | claim+complete per second | MCP claim_next p50 (ms) | MCP claim_next p99 (ms) |")
    print("| --- | ---: | ---: | ---: |")
    for backend, rate, p50, p99 in rows:
        print(f"| {backend} | {rate:,.0f} | {p50:.2f} | {p99:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
