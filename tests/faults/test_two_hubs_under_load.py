"""Two `switchboard serve` processes on one PostgreSQL database under load: agents split across them claim and
complete while tasks keep arriving through both, and both dispatchers start turns for agents with runners. Every
task is claimed once and completed once, by the agent that claimed it; no trigger starts two turns and no agent
runs two turns at once."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from tests.conftest import database_of_its_own
from tests.faults.traffic import Agent, admin_client, mcp_session, new_team
from tests.live_hub import LiveHub, serving
from tests.ops.series import sample

pytestmark = pytest.mark.postgres

WORKERS_PER_HUB = 5  # of which one speaks MCP
FIRST_BATCH = 60
PRODUCED_BATCHES = 3  # per hub, of BATCH tasks each, while the workers work
BATCH = 10
RUNNERS = 4
MESSAGES_PER_RUNNER = 3
CLAIM_WAIT_SECONDS = 1
DEADLINE_SECONDS = 60.0


@pytest.fixture
def own_database(postgres_url: str) -> Iterator[str]:
    """A database of its own: hubs dispatch every team of their database, and those of other tests are not ours."""
    with database_of_its_own(postgres_url, "two_hubs_load") as url:
        yield url


@pytest.fixture
def two_hubs(own_database: str, tmp_path: Path) -> Iterator[tuple[LiveHub, LiveHub]]:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    # One after the other: on a busy machine two starting at once can each take longer than a start may.
    with (
        serving(tmp_path / "one", own_database, "postgres") as one,
        serving(tmp_path / "two", own_database, "postgres") as two,
    ):
        yield one, two


@dataclass
class Ledger:
    """What the agents were told: each claim (task, attempt, agent) and each completion acknowledged."""

    claims: list[tuple[int, int, str]] = field(default_factory=list)
    completions: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


async def work_over_rest(url: str, agent: Agent, produced: anyio.Event, ledger: Ledger) -> None:
    """claim_next (waiting a little) and complete, until nothing is left once every task was created."""
    headers = {"Authorization": f"Bearer {agent.key}"}
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", headers=headers, timeout=30) as http:
        while True:
            response = await http.post(
                f"/teams/{agent.team_id}/tasks/claim-next", params={"wait_seconds": CLAIM_WAIT_SECONDS}
            )
            if response.status_code != 200:
                ledger.problems.append(f"{agent.name} claim: {response.status_code} {response.text[:200]}")
                return
            task = response.json()["task"]
            if task is None:
                if produced.is_set():
                    return
                continue
            ledger.claims.append((task["id"], task["attempt"], agent.name))
            body = {"attempt": task["attempt"], "result": f"by {agent.name}"}
            response = await http.post(f"/tasks/{task['id']}/complete", json=body)
            if response.status_code != 200:
                ledger.problems.append(f"{agent.name} complete: {response.status_code} {response.text[:200]}")
                return
            ledger.completions[task["id"]] = agent.name


async def work_over_mcp(url: str, agent: Agent, produced: anyio.Event, ledger: Ledger) -> None:
    async with mcp_session(url, agent.key) as mcp:
        while True:
            result = await mcp.call_tool("claim_next", {"wait_seconds": CLAIM_WAIT_SECONDS})
            if result.is_error or result.structured_content is None:
                ledger.problems.append(f"{agent.name} claim_next: {result.structured_content}")
                return
            task = result.structured_content["task"]
            if task is None:
                if produced.is_set():
                    return
                continue
            ledger.claims.append((task["id"], task["attempt"], agent.name))
            arguments = {"task_id": task["id"], "attempt": task["attempt"], "result": f"by {agent.name}"}
            result = await mcp.call_tool("complete_task", arguments)
            if result.is_error:
                ledger.problems.append(f"{agent.name} complete_task: {result.structured_content}")
                return
            ledger.completions[task["id"]] = agent.name


async def produce(admin: httpx.AsyncClient, team_id: int, label: str, created: list[int]) -> None:
    """Batches of tasks through one hub, one after the other, while the agents work."""
    for batch in range(PRODUCED_BATCHES):
        items = [{"title": f"{label} {batch}.{i}"} for i in range(BATCH)]
        response = await admin.post(f"/api/v1/teams/{team_id}/tasks/batch", json={"tasks": items})
        assert response.status_code == 201, response.text
        created.extend(t["id"] for t in response.json()["tasks"])


async def make_runners(admin: httpx.AsyncClient) -> int:
    """A team of agents whose runner is a command that does nothing: each trigger is one short turn."""
    org = (await admin.get("/api/v1/orgs")).json()["orgs"][0]["id"]
    team = (await admin.post(f"/api/v1/orgs/{org}/teams", json={"name": f"Runners {time.monotonic_ns()}"})).json()
    for i in range(RUNNERS):
        body = {"name": f"runner-{i}", "config": {"runner": {"command": "true"}}}
        response = await admin.post(f"/api/v1/teams/{team['id']}/agents", json=body)
        assert response.status_code == 201, response.text
    return int(team["id"])


async def trigger_turns(one: httpx.AsyncClient, two: httpx.AsyncClient, team_id: int) -> int:
    """Messages and a task for each runner, sent through both hubs at once; the number of triggers."""
    triggers = 0
    async with anyio.create_task_group() as group:
        for i, n in itertools.product(range(RUNNERS), range(MESSAGES_PER_RUNNER + 1)):
            via = one if (i + n) % 2 else two
            if n < MESSAGES_PER_RUNNER:
                body = {"target": f"runner-{i}", "body": f"note {n}"}
                group.start_soon(_created, via, f"/api/v1/teams/{team_id}/messages", body)
            else:
                body = {"title": f"for runner-{i}", "target": f"runner-{i}"}
                group.start_soon(_created, via, f"/api/v1/teams/{team_id}/tasks", body)
            triggers += 1
    return triggers


async def _created(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    response = await http.post(path, json=body)
    assert response.status_code == 201, response.text


async def ended_turns(admin: httpx.AsyncClient, team_id: int, triggers: int) -> list[dict[str, Any]]:
    """Poll the hub (another process) until every trigger has a turn and every turn has ended."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        turns: list[dict[str, Any]] = (await admin.get(f"/api/v1/teams/{team_id}/turns?limit=200")).json()["turns"]
        keys = {trigger["key"] for turn in turns for trigger in turn["triggers"]}
        if len(keys) >= triggers and all(turn["ended_at"] for turn in turns):
            return turns
        assert time.monotonic() < deadline, f"{len(keys)} of {triggers} triggers answered: {turns}"
        await anyio.sleep(0.05)


async def test_two_hub_processes_under_load_never_double_a_claim_a_completion_or_a_turn(
    two_hubs: tuple[LiveHub, LiveHub], own_database: str
) -> None:
    one, two = two_hubs
    ledger = Ledger()
    created: list[int] = []
    started = time.monotonic()
    async with admin_client(one.url, one.admin_key) as via_one, admin_client(two.url, one.admin_key) as via_two:
        names = [f"eng-{i}" for i in range(2 * WORKERS_PER_HUB)]
        agents = await new_team(via_one, names)
        team = agents[0].team_id
        first = [{"title": f"first {i}"} for i in range(FIRST_BATCH)]
        response = await via_one.post(f"/api/v1/teams/{team}/tasks/batch", json={"tasks": first})
        created.extend(t["id"] for t in response.json()["tasks"])
        runners = await make_runners(via_one)
        produced = anyio.Event()
        with anyio.fail_after(DEADLINE_SECONDS):
            async with anyio.create_task_group() as group:
                for i, agent in enumerate(agents):
                    url = one.url if i % 2 else two.url
                    work = work_over_mcp if i < 2 else work_over_rest
                    group.start_soon(work, url, agent, produced, ledger)
                async with anyio.create_task_group() as producers:
                    producers.start_soon(produce, via_one, team, "via one", created)
                    producers.start_soon(produce, via_two, team, "via two", created)
                    triggers = await trigger_turns(via_one, via_two, runners)
                produced.set()
            turns = await ended_turns(via_two, runners, triggers)
        metrics = [(await via_one.get("/metrics")).text, (await via_two.get("/metrics")).text]
    print(f"figures: {len(created)} tasks claimed and completed through two hubs in {time.monotonic() - started:.1f}s")

    assert ledger.problems == []
    # Each task claimed once (attempt 1), by one agent, and completed by that agent.
    assert sorted(task for task, _, _ in ledger.claims) == sorted(created)
    assert {attempt for _, attempt, _ in ledger.claims} == {1}
    assert ledger.completions == {task: agent for task, _, agent in ledger.claims}
    conn = await asyncpg.connect(own_database.replace("+asyncpg", ""), timeout=10)
    try:
        tasks = await conn.fetch("SELECT id, status, result, attempt FROM tasks WHERE team_id = $1", team)
        events = await conn.fetch(
            "SELECT task_id, kind, actor FROM events WHERE team_id = $1 AND kind IN ('claimed', 'completed')", team
        )
    finally:
        await conn.close()
    assert {(t["id"], t["status"], t["result"], t["attempt"]) for t in tasks} == {
        (task, "done", f"by {agent}", 1) for task, agent in ledger.completions.items()
    }
    assert Counter((e["task_id"], e["kind"]) for e in events) == Counter(
        {(task, kind): 1 for task in created for kind in ("claimed", "completed")}
    )
    assert {(e["task_id"], e["actor"]) for e in events} == set(ledger.completions.items())
    # Both hubs claimed, and heard the other's changes over NOTIFY.
    assert all(sample(text, "switchboard_claims_total") > 0 for text in metrics)
    assert all(sample(text, "switchboard_notifications_heard_total") > 0 for text in metrics)
    # One turn per trigger; an agent's turns one after the other.
    keys = Counter(trigger["key"] for turn in turns for trigger in turn["triggers"])
    assert len(keys) == triggers and set(keys.values()) == {1}
    for i in range(RUNNERS):
        mine = sorted((t for t in turns if t["agent"] == f"runner-{i}"), key=lambda t: t["started_at"])
        for before, after in itertools.pairwise(mine):
            assert before["ended_at"] <= after["started_at"], (before, after)
