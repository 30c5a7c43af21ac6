"""`serve --workers 2`: two hub processes on one port behave as one hub. Each test holds a connection to each
worker (a worker names itself in /healthz), so that what crosses between them is what is tested."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest

from tests.conftest import database_of_its_own
from tests.live_hub import BACKEND_PARAMS, LiveHub, serving
from tests.ops.series import sample

WORKERS = 2
# How long fresh connections are tried before concluding that the workers do not share the port (a worker
# replaced after a kill takes a second or two to start).
FIND_WORKERS_SECONDS = 30


@pytest.fixture(params=BACKEND_PARAMS)
def workers_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveHub]:
    extra = ["--workers", str(WORKERS), "--no-dispatch"]
    env = {"SWITCHBOARD_SWEEP_INTERVAL": "0.2"}
    if request.param == "sqlite":
        with serving(tmp_path, None, "sqlite", extra, env) as hub:
            yield hub
        return
    # The hub sweeps every team of its database: none of other tests'.
    with (
        database_of_its_own(request.getfixturevalue("postgres_url"), "workers") as url,
        serving(tmp_path, url, "postgres", extra, env) as hub,
    ):
        yield hub


@asynccontextmanager
async def one_client_per_worker(hub: LiveHub, key: str) -> AsyncIterator[dict[int, httpx.AsyncClient]]:
    """A client on one kept-alive connection to each worker, by the worker's process id."""
    clients: dict[int, httpx.AsyncClient] = {}
    try:
        with anyio.move_on_after(FIND_WORKERS_SECONDS):
            while len(clients) < WORKERS:
                client = httpx.AsyncClient(
                    base_url=hub.url,
                    headers=auth(key),
                    limits=httpx.Limits(max_connections=1),
                    timeout=FIND_WORKERS_SECONDS,
                )
                pid = await worker_of(client)
                if pid in clients:
                    await client.aclose()
                else:
                    clients[pid] = client
        assert len(clients) == WORKERS, f"fresh connections reached only workers {sorted(clients)}"
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()


async def worker_of(client: httpx.AsyncClient) -> int:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    return int(answer.json()["pid"])


async def new_team(admin: httpx.AsyncClient, agents: int) -> tuple[int, list[str]]:
    org_id = (await admin.get("/api/v1/whoami")).json()["org_id"]
    team = (await admin.post(f"/api/v1/orgs/{org_id}/teams", json={"name": "workers"})).json()
    keys = []
    for n in range(agents):
        issued = await admin.post(f"/api/v1/teams/{team['id']}/keys", json={"program_id": f"agent-{n}"})
        keys.append(issued.json()["key"])
    return team["id"], keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_each_worker_answers_metrics_for_all_of_them(workers_hub: LiveHub) -> None:
    async with one_client_per_worker(workers_hub, workers_hub.admin_key) as clients:
        first, second = clients.values()
        for _ in range(3):
            assert (await first.get("/api/v1/whoami")).status_code == 200
        for _ in range(5):
            assert (await second.get("/api/v1/whoami")).status_code == 200

        for client in clients.values():
            text = (await client.get("/metrics")).text
            count = sample(text, "switchboard_http_request_duration_seconds_count", route="/api/v1/whoami")
            assert count == 8, text


async def test_a_change_on_one_worker_wakes_a_call_waiting_on_the_other(workers_hub: LiveHub) -> None:
    async with one_client_per_worker(workers_hub, workers_hub.admin_key) as clients:
        creator, waiter = clients.values()
        team_id, (agent_key,) = await new_team(creator, 1)
        answers: list[httpx.Response] = []
        answered = anyio.Event()

        async def wait_for_work() -> None:
            answers.append(
                await waiter.post(
                    f"/api/v1/teams/{team_id}/tasks/claim-next",
                    params={"wait_seconds": 60},
                    headers=auth(agent_key),
                    timeout=90,
                )
            )
            answered.set()

        async with anyio.create_task_group() as group:
            group.start_soon(wait_for_work)
            await wait_for_metric(creator, "switchboard_waiting_calls", 1)
            created = await creator.post(f"/api/v1/teams/{team_id}/tasks", json={"title": "wake the other worker"})
            assert created.status_code == 201
            # Well before the waiter's own re-check (every 5 s) would find it.
            with anyio.fail_after(4):
                await answered.wait()

        (answer,) = answers
        assert answer.status_code == 200 and answer.json()["task"]["id"] == created.json()["id"]


async def test_the_sweep_carries_on_when_the_worker_running_it_is_killed(workers_hub: LiveHub) -> None:
    async with one_client_per_worker(workers_hub, workers_hub.admin_key) as clients:
        originals = set(clients)
    # Kill each original worker in turn, so that whichever led has gone; the supervisor replaces each.
    for pid in originals:
        os.kill(pid, signal.SIGKILL)
    async with one_client_per_worker(workers_hub, workers_hub.admin_key) as clients:
        assert not originals & set(clients)
        admin = next(iter(clients.values()))
        team_id, (holder, rival) = await new_team(admin, 2)
        task = (await admin.post(f"/api/v1/teams/{team_id}/tasks", json={"title": "t", "lease_seconds": 10})).json()
        assert (await admin.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth(holder))).status_code == 200

        # The holder never renews: once its lease ends, the sweep of the worker now leading makes the task ready,
        # and that wakes the rival's claim.
        answer = await admin.post(
            f"/api/v1/teams/{team_id}/tasks/claim-next",
            params={"wait_seconds": 60},
            headers=auth(rival),
            timeout=90,
        )
        assert answer.status_code == 200
        assert answer.json()["task"] is not None and answer.json()["task"]["id"] == task["id"]


async def wait_for_metric(client: httpx.AsyncClient, name: str, value: float) -> None:
    with anyio.fail_after(10):
        while sample((await client.get("/metrics")).text, name) < value:
            await anyio.sleep(0.02)
