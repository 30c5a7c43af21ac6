"""PostgreSQL going away under a serving hub process, in a cluster of the test's own: stopped (and watched while
it is down), then restarted. While it is away every call fails cleanly; once it is back the hub serves again
without a restart, its listener reconnects, and calls parked before the outage are answered by work a second hub
creates after it, so the wake-up can only come over NOTIFY (which the hub's metrics confirm) or, seconds later,
from the parked calls' periodic re-check."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.abc
import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from switchboard.config import Settings
from switchboard.hub import Hub, running_hub
from switchboard.storage.notifier import RECHECK_SECONDS
from switchboard.tasks.models import TaskDraft
from tests.faults.postgres_cluster import PrivateCluster, private_cluster
from tests.faults.traffic import (
    CALL_BOUND_SECONDS,
    RETRY_PAUSE_SECONDS,
    Agent,
    McpWorker,
    Parked,
    RestWorker,
    Worker,
    admin_client,
    mcp_session,
    new_team,
    park_mcp,
    park_rest,
    rest_problem,
    tool_problem,
)
from tests.live_hub import LiveHub, serving
from tests.ops.series import sample

pytestmark = pytest.mark.postgres

T = TypeVar("T")
POLL_SECONDS = 0.05
RECOVERY_TIMEOUT_SECONDS = 20.0
# How soon after PostgreSQL is back the hub must be ready again, its listener included.
READY_AGAIN_SECONDS = 5.0


@dataclass(frozen=True)
class Served:
    cluster: PrivateCluster
    database: str
    hub: LiveHub


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A hub process on a database of a private cluster, for the module: each test's outage comes after the
    previous test's, which the hub must have recovered from as well."""
    for cluster in private_cluster():
        database = anyio.run(cluster.new_database)
        with serving(tmp_path_factory.mktemp("hub"), database, "postgres") as hub:
            yield Served(cluster, database, hub)


async def until(check: Callable[[], Awaitable[T]], what: str, timeout: float = RECOVERY_TIMEOUT_SECONDS) -> T:
    """For a hub in another process: check until true (a short pause between checks), or fail at the timeout."""
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await anyio.sleep(POLL_SECONDS)
    return found


async def readiness(admin: httpx.AsyncClient) -> dict[str, Any] | None:
    """The hub's /readyz checks when it is ready, else None."""
    response = await admin.get("/readyz")
    checks: dict[str, Any] = response.json()["checks"]
    return checks if response.status_code == 200 else None


@dataclass
class Scene:
    """The hub process serves the load and the parked calls; the other hub, in this test's process on the same
    database, creates the work that must reach the parked calls."""

    served: Served
    other: Hub
    admin: httpx.AsyncClient
    load: list[Agent]
    workers: list[Worker]
    parked: list[Parked]
    figures: dict[str, float]

    @property
    def url(self) -> str:
        return self.served.hub.url

    async def metric(self, name: str) -> float:
        response = await self.admin.get("/metrics")
        assert response.status_code == 200, response.text
        return sample(response.text, name)

    async def park(self, group: anyio.abc.TaskGroup) -> None:
        """Calls waiting in claim_next (two over REST, one over MCP) in a team where nothing is ready."""
        for parked in self.parked:
            waiting = park_mcp if parked.agent.name.startswith("wait-mcp") else park_rest
            group.start_soon(waiting, self.url, parked)

        async def all_waiting() -> bool:
            return await self.metric("switchboard_waiting_calls") >= len(self.parked)

        await until(all_waiting, "every call is parked", timeout=10)

    async def recover(self, back_at: float) -> None:
        """Wait until the hub answers calls again, then until it is ready, listener included."""

        async def answers() -> bool:
            response = await self.admin.get(f"/api/v1/teams/{self.load[0].team_id}/tasks", params={"limit": 1})
            assert rest_problem(response) is None
            return response.is_success

        await until(answers, "the hub answers again")
        self.figures["calls succeed again after PostgreSQL is back (s)"] = time.monotonic() - back_at
        checks = await until(lambda: readiness(self.admin), "the hub is ready")
        ready_after = time.monotonic() - back_at
        self.figures["ready, listener included, after PostgreSQL is back (s)"] = ready_after
        assert checks == {"database": "ok", "migrations": "ok", "listener": "ok"}
        # However long the database was away, and however often before, the listener soon tries again.
        assert ready_after < READY_AGAIN_SECONDS

    async def answer_parked_through_the_other_hub(self) -> None:
        """A task for each parked call, created through the other hub: the waiting hub hears of it over NOTIFY
        (its count of notifications heard moves), not only at the parked calls' next re-check."""
        assert not any(p.done.is_set() for p in self.parked), [p.problem for p in self.parked if p.done.is_set()]
        assert await self.metric("switchboard_listener_connections_total") >= 2, "the listener never reconnected"
        heard = await self.metric("switchboard_notifications_heard_total")
        admin = await self.other.keys.authenticate(self.served.hub.admin_key)
        drafts = [TaskDraft(title=f"after the outage {i}") for i in range(len(self.parked))]
        sent_at = time.monotonic()
        created = await self.other.tasks.create_tasks_batch(admin, drafts, self.parked[0].agent.team_id)
        with anyio.fail_after(RECHECK_SECONDS * 2):
            for parked in self.parked:
                await parked.done.wait()
        answered = [p.answered_at for p in self.parked if p.answered_at is not None]
        self.figures["parked calls answered after the task was created (max s)"] = max(answered) - sent_at
        assert [p.problem for p in self.parked] == [None] * len(self.parked)
        assert {p.task["id"] for p in self.parked if p.task is not None} == {t.id for t in created}
        assert all(p.task is not None and p.task["holder"] == p.agent.name for p in self.parked)
        assert await self.metric("switchboard_notifications_heard_total") > heard

    async def check_load(self, back_at: float) -> None:
        """No answer broke the rules; the agents met the outage and worked again after it; nothing acknowledged
        is lost, and no task was claimed twice in one attempt."""
        for worker in self.workers:
            tally = worker.tally
            assert tally.problems == [], tally.problems[:10]
            assert tally.last_success_at > back_at, f"{worker.agent.name} did not work again after the outage"
        assert sum(w.tally.unavailable for w in self.workers) > 0, "the load never met the outage"
        team = self.load[0].team_id
        conn = await asyncpg.connect(self.served.database.replace("+asyncpg", ""), timeout=10)
        try:
            rows = await conn.fetch("SELECT id, title, status, result FROM tasks WHERE team_id = $1", team)
            claims = await conn.fetch(
                "SELECT task_id, data->>'attempt' AS attempt, count(*) AS n FROM events"
                " WHERE team_id = $1 AND kind = 'claimed' GROUP BY task_id, data->>'attempt'",
                team,
            )
        finally:
            await conn.close()
        tasks = {row["id"]: row for row in rows}
        for worker in self.workers:
            for task_id, title in worker.tally.created.items():
                assert tasks[task_id]["title"] == title
            for task_id, result in worker.tally.completed.items():
                assert (tasks[task_id]["status"], tasks[task_id]["result"]) == ("done", result)
        assert [dict(row) for row in claims if row["n"] != 1] == []
        self.figures["load calls answered"] = sum(w.tally.succeeded + w.tally.unavailable for w in self.workers)
        self.figures["of them 503 or tool errors"] = sum(w.tally.unavailable for w in self.workers)
        print("figures:", {k: round(v, 3) for k, v in self.figures.items()})


@asynccontextmanager
async def under_load(served: Served, tmp_path: Path) -> AsyncIterator[tuple[Scene, anyio.abc.TaskGroup]]:
    """Agents of a new team working on the hub (two over REST, one over MCP) until the block ends; agents of
    another team to park calls with; and the other hub, up before the outage like the hub process."""
    url = served.hub.url
    settings = Settings(data_dir=tmp_path / "other", database_url=served.database)
    async with admin_client(url, served.hub.admin_key) as admin, running_hub(settings) as other:
        assert await until(lambda: readiness(admin), "the hub is ready", timeout=5)
        load = await new_team(admin, ["rest-1", "rest-2", "mcp-1"])
        waiting = await new_team(admin, ["wait-rest-1", "wait-rest-2", "wait-mcp"])
        workers: list[Worker] = [RestWorker(load[0], url), RestWorker(load[1], url), McpWorker(load[2], url)]
        scene = Scene(served, other, admin, load, workers, [Parked(a) for a in waiting], {})
        stop = anyio.Event()
        async with anyio.create_task_group() as group:
            for worker in workers:
                group.start_soon(worker.run, stop)
            yield scene, group
            stop.set()
            # Parked calls left unanswered by a failed test are not waited for.
            if not all(p.done.is_set() for p in scene.parked):
                group.cancel_scope.cancel()


async def probe_while_down(scene: Scene, until_time: float) -> int:
    """Calls of every kind, again and again until `until_time`: each must fail cleanly and within its bound.
    The number of rounds made."""
    rounds = 0
    agent = scene.load[0]
    as_agent = {"Authorization": f"Bearer {agent.key}"}
    team = agent.team_id
    calls: list[tuple[str, str, dict[str, Any] | None, dict[str, str] | None]] = [
        ("GET", f"/api/v1/teams/{team}/tasks", None, as_agent),
        ("POST", f"/api/v1/teams/{team}/tasks", {"title": "while down"}, None),
        ("POST", f"/api/v1/teams/{team}/tasks/claim-next", None, as_agent),
        ("POST", "/api/v1/tasks/1/complete", {"result": "x"}, as_agent),
        ("GET", "/api/v1/tasks/1", None, None),
        ("GET", f"/api/v1/teams/{team}/agents", None, as_agent),
    ]
    # A session opened while the database is down: initializing needs no database, every tool call answers.
    async with mcp_session(scene.url, agent.key) as mcp:
        while time.monotonic() < until_time:
            rounds += 1
            for method, path, body, headers in calls:
                with anyio.fail_after(CALL_BOUND_SECONDS):
                    response = await scene.admin.request(method, path, json=body, headers=headers)
                assert response.status_code == 503 and rest_problem(response) is None, rest_problem(response)
            for tool, arguments in (("whoami", {}), ("claim_next", {}), ("create_task", {"title": "while down"})):
                with anyio.fail_after(CALL_BOUND_SECONDS):
                    result = await mcp.call_tool(tool, arguments)
                assert result.is_error, result
                assert tool_problem(tool, result.structured_content, result.is_error) is None
            ready = await scene.admin.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["database"] != "ok"
            await anyio.sleep(RETRY_PAUSE_SECONDS)
    return rounds


async def test_while_postgresql_is_stopped_calls_fail_cleanly_and_the_hub_recovers_without_a_restart(
    served: Served, tmp_path: Path
) -> None:
    cluster = served.cluster
    async with under_load(served, tmp_path) as (scene, group):
        await scene.park(group)
        parked_at = time.monotonic()
        await cluster.stop()
        stopped_at = time.monotonic()

        async def listener_down() -> bool:
            return (await scene.admin.get("/readyz")).json()["checks"]["listener"] != "ok"

        try:
            await until(listener_down, "the hub sees its listener gone", timeout=5)
            scene.figures["outage seen by /readyz, listener included (s)"] = time.monotonic() - stopped_at
            # Down for longer than the parked calls' periodic re-check, so each of them re-checks during the outage.
            assert await probe_while_down(scene, parked_at + RECHECK_SECONDS + 1) > 0
        finally:
            await cluster.start()
        back_at = time.monotonic()
        scene.figures["outage (s)"] = back_at - stopped_at
        await scene.recover(back_at)
        await scene.answer_parked_through_the_other_hub()
    await scene.check_load(back_at)


async def test_a_postgresql_restart_under_load_is_ridden_out(served: Served, tmp_path: Path) -> None:
    async with under_load(served, tmp_path) as (scene, group):
        await scene.park(group)
        await served.cluster.restart()
        back_at = time.monotonic()
        await scene.recover(back_at)
        await scene.answer_parked_through_the_other_hub()
    await scene.check_load(back_at)


@dataclass
class StreamFollower:
    """A client of a team's event stream that follows it as the dashboard does: when a connection ends, or is
    refused, it connects again with the last event id it has. It notes how each connection went."""

    url: str
    key: str
    team_id: int
    after: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    ended: int = 0
    arrived: anyio.Event = field(default_factory=anyio.Event)

    async def run(self) -> None:
        timeout = httpx.Timeout(CALL_BOUND_SECONDS, read=None)
        async with httpx.AsyncClient(base_url=self.url, timeout=timeout) as client:
            while True:
                try:
                    await self._follow(client)
                except httpx.TransportError as exc:
                    self.broken.append(repr(exc))
                await anyio.sleep(RETRY_PAUSE_SECONDS)

    async def _follow(self, client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Accept": "text/event-stream"}
        last = self.events[-1]["id"] if self.events else self.after
        if last is not None:
            headers["Last-Event-ID"] = str(last)
        path = f"/api/v1/teams/{self.team_id}/events/stream"
        async with client.stream("GET", path, headers=headers) as response:
            self.statuses.append(response.status_code)
            if response.status_code != 200:
                await response.aread()
                if problem := rest_problem(response):
                    self.refusals.append(problem)
                return
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                    continue
                if "id" in fields:
                    self.events.append({"id": int(fields["id"]), "kind": fields["event"], **json.loads(fields["data"])})
                    self.arrived.set()
                fields = {}
        self.ended += 1

    async def until_count(self, count: int, timeout: float = RECOVERY_TIMEOUT_SECONDS) -> None:
        with anyio.fail_after(timeout):
            while len(self.events) < count:
                self.arrived = anyio.Event()
                if len(self.events) < count:
                    await self.arrived.wait()


async def team_event_ids(database: str, team_id: int) -> list[int]:
    conn = await asyncpg.connect(database.replace("+asyncpg", ""), timeout=10)
    try:
        rows = await conn.fetch("SELECT id FROM events WHERE team_id = $1 ORDER BY id", team_id)
    finally:
        await conn.close()
    return [row["id"] for row in rows]


async def test_an_event_stream_followed_across_a_postgresql_outage_misses_and_repeats_nothing(
    served: Served,
) -> None:
    url = served.hub.url
    async with admin_client(url, served.hub.admin_key) as admin:
        assert await until(lambda: readiness(admin), "the hub is ready", timeout=RECOVERY_TIMEOUT_SECONDS)
        (agent,) = await new_team(admin, ["follower"])
        tasks = f"/api/v1/teams/{agent.team_id}/tasks"
        for n in range(3):
            assert (await admin.post(tasks, json={"title": f"before {n}"})).status_code == 201
        follower = StreamFollower(url, agent.key, agent.team_id)
        async with anyio.create_task_group() as group:
            group.start_soon(follower.run)
            await follower.until_count(3, timeout=10)
            # Written just before the stop: the stream may not have handed them out yet.
            for n in range(2):
                assert (await admin.post(tasks, json={"title": f"just before {n}"})).status_code == 201
            written_before = await team_event_ids(served.database, agent.team_id)
            # Another client resumes from the third event while PostgreSQL is away: refused until it is back.
            resuming = StreamFollower(url, agent.key, agent.team_id, after=written_before[2])
            await served.cluster.stop()
            group.start_soon(resuming.run)
            try:
                # Down for longer than the stream's periodic re-check, so the open stream reads during the outage.
                down_until = time.monotonic() + RECHECK_SECONDS + 1
                while time.monotonic() < down_until:
                    with anyio.fail_after(CALL_BOUND_SECONDS):
                        response = await admin.get(tasks, params={"limit": 1})
                    assert response.status_code == 503 and rest_problem(response) is None, response.text
                    await anyio.sleep(RETRY_PAUSE_SECONDS * 5)
            finally:
                await served.cluster.start()

            async def answers() -> bool:
                return (await admin.get(tasks, params={"limit": 1})).is_success

            await until(answers, "the hub answers again")
            for n in range(3):
                assert (await admin.post(tasks, json={"title": f"after {n}"})).status_code == 201
            everything = await team_event_ids(served.database, agent.team_id)
            await follower.until_count(len(everything))
            await resuming.until_count(len(everything) - 3)
            group.cancel_scope.cancel()

    got = [event["id"] for event in follower.events]
    for client in (follower, resuming):
        print("stream:", {"statuses": client.statuses, "ended": client.ended, "broken": client.broken})
        assert client.refusals == [] and set(client.statuses) <= {200, 503}, client.statuses
        assert client.broken == [], "a connection to the stream broke instead of ending"
    assert got == everything, "events missed or repeated"
    assert [event["id"] for event in resuming.events] == everything[3:], "events missed or repeated on resuming"
    assert resuming.statuses[0] == 503 and resuming.statuses[-1] == 200
    assert set(written_before) <= set(got) and len(everything) == len(written_before) + 3
    assert [e["data"]["title"] for e in follower.events if e["kind"] == "created"] == [
        *(f"before {n}" for n in range(3)),
        *(f"just before {n}" for n in range(2)),
        *(f"after {n}" for n in range(3)),
    ]
