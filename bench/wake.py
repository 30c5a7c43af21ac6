"""Wake-ups: how soon a waiting `claim_next` returns after `create_task`, and what 1,000 waiting calls cost a hub."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench._hub_process import free_port, rss_mib, wait_ready
from bench._load import http_request, read_answer
from switchboard.config import Settings
from switchboard.hub import Hub, running_hub
from switchboard.storage.notifier import LocalNotifier, PostgresNotifier
from switchboard.tasks.models import TaskDraft


async def wake_latency(url: str, data_dir: Path, rounds: int, *, across_hubs: bool = False) -> list[float]:
    """Milliseconds from the start of `create_task` to a waiting `claim_next` returning the task, through the
    services. With `across_hubs` the task is created through a second Hub instance (its own connections and
    notifier), so the wake-up travels through PostgreSQL's NOTIFY to the waiting hub's listener, or on SQLite
    through the bells that the workers of one `serve --workers` ring."""
    settings = Settings(data_dir=data_dir, database_url=url, rate_burst=10**9)
    async with running_hub(settings) as hub:
        creator = Hub(settings) if across_hubs else hub
        try:
            if across_hubs and hub.db.is_sqlite:
                (data_dir / "bells").mkdir()
                for each in (hub, creator):
                    assert isinstance(each.notifier, LocalNotifier)
                    each.notifier.ring_siblings(data_dir / "bells")
                    await each.start_listening()
            admin = await hub.keys.authenticate(settings.admin_key_file.read_text().strip())
            team = await hub.teams.create_team(admin, admin.org_id, f"wake {secrets.token_hex(3)}")
            agent = await hub.keys.authenticate((await hub.keys.create_key(admin, team.id, "builder")).plaintext)
            if isinstance(hub.notifier, PostgresNotifier):
                await asyncio.wait_for(hub.notifier.listening.wait(), 10)
            samples = []
            for i in range(rounds):
                waiter = asyncio.create_task(hub.claims.claim_next(agent, wait_seconds=30))
                while hub.notifier.waiting(team.id) < 1:
                    await asyncio.sleep(0)
                started = time.perf_counter()
                await creator.tasks.create_task(admin, TaskDraft(title=f"t{i}"), team.id)
                task = await waiter
                samples.append((time.perf_counter() - started) * 1000)
                assert task is not None
                await hub.claims.complete_task(agent, task.id, "SUCCESS")
            return samples
        finally:
            if creator is not hub:
                await creator.close()


async def memory_of_waiters(url: str, data_dir: Path, waiters: int) -> tuple[float, float, float]:
    """A hub in its own process holding `waiters` REST claim-next calls that wait: its resident memory before and
    with them (MiB), and the seconds until all of them returned a task once a batch of that many was created.

    The waiting calls are prepared requests on connections of their own, read as they are answered: an HTTP
    client library juggling 1,000 connections takes seconds to hand over 1,000 answers, which is not the hub."""
    port = free_port()
    env = {
        **os.environ,
        "SWITCHBOARD_DATA_DIR": str(data_dir),
        "SWITCHBOARD_DATABASE_URL": url,
        "SWITCHBOARD_RATE_BURST": str(10 * waiters),
    }
    command = [sys.executable, "-m", "switchboard", "serve", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        admin_key = await wait_ready(base, data_dir / "admin.key", server)
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            admin = {"Authorization": f"Bearer {admin_key}"}
            org_id = (await http.get("/api/v1/whoami", headers=admin)).json()["org_id"]
            team = (await http.post(f"/api/v1/orgs/{org_id}/teams", json={"name": "waiters"}, headers=admin)).json()
            created = await http.post(f"/api/v1/teams/{team['id']}/keys", json={"program_id": "builder"}, headers=admin)
            before = rss_mib(server.pid)
            path = f"/api/v1/teams/{team['id']}/tasks/claim-next?wait_seconds=120"
            request = http_request("POST", path, {"Authorization": f"Bearer {created.json()['key']}"}).encode()
            calls = [asyncio.create_task(_call(port, request)) for _ in range(waiters)]
            await _until_waiting(http, waiters)
            holding = rss_mib(server.pid)
            batch = {"tasks": [{"title": f"t{i}"} for i in range(waiters)]}
            started = time.perf_counter()
            await http.post(f"/api/v1/teams/{team['id']}/tasks/batch", json=batch, headers=admin)
            answers = await asyncio.gather(*calls)
            drained = time.perf_counter() - started
            assert all(status == 200 and b'"task":{' in body for status, body in answers), answers[:3]
        return before, holding, drained
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _call(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        return await read_answer(reader)
    finally:
        writer.close()


async def _until_waiting(http: httpx.AsyncClient, waiters: int) -> None:
    """Until the hub's own gauge counts every call waiting (each has reached it and checked once)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in (await http.get("/metrics")).text.splitlines():
            if line.startswith("switchboard_waiting_calls ") and float(line.split()[1]) >= waiters:
                return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the hub did not hold {waiters} waiting calls within 60 s")
