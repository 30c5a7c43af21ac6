"""Agents of a live hub for the fault tests, over REST and MCP: working in a loop (create a task aimed at
themselves, claim it, complete it) or parked in `claim_next` with `wait_seconds`. Every answer is checked
against what the hub promises while its database is away: a success, or 503 with Retry-After and the error
shape over REST, or a tool error over MCP; never anything else, and never slower than CALL_BOUND_SECONDS."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

# A call that takes longer is reported as a hang (waiting calls are bounded by their own wait instead).
CALL_BOUND_SECONDS = 10.0
# A client told to retry later (503) tries again after this pause, shorter than Retry-After to keep probing.
RETRY_PAUSE_SECONDS = 0.1
# Between rounds of work, so that a few agents make a light load rather than all the CPU the machine has.
ROUND_PAUSE_SECONDS = 0.02
WAITER_SECONDS = 120


@dataclass
class Agent:
    name: str
    key: str
    team_id: int


async def new_team(admin: httpx.AsyncClient, names: list[str]) -> list[Agent]:
    """A team of its own with an agent (and its key) per name, made through `admin` (a hub's admin client)."""
    org = (await admin.get("/api/v1/orgs")).json()["orgs"][0]["id"]
    team = (await admin.post(f"/api/v1/orgs/{org}/teams", json={"name": f"Team {time.monotonic_ns()}"})).json()
    agents = []
    for name in names:
        response = await admin.post(f"/api/v1/teams/{team['id']}/keys", json={"program_id": name, "label": name})
        assert response.status_code == 201, response.text
        agents.append(Agent(name, response.json()["key"], team["id"]))
    return agents


def admin_client(url: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=WAITER_SECONDS + 30)


@asynccontextmanager
async def mcp_session(url: str, key: str) -> AsyncIterator[Client]:
    """An MCP SDK client session with the hub at `url`, acting with `key`."""
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=WAITER_SECONDS + 30) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        yield client


def rest_problem(response: httpx.Response) -> str | None:
    """What is wrong with a REST answer given while the database may be away, or None."""
    if response.is_success:
        return None
    where = f"{response.request.method} {response.request.url.path}"
    if response.status_code != 503:
        return f"{where}: {response.status_code} {response.text[:300]}"
    retry_after = response.headers.get("retry-after", "")
    if not retry_after.isdigit() or int(retry_after) < 1:
        return f"{where}: 503 without a usable Retry-After ({retry_after!r})"
    return _error_problem(where, _json(response))


def tool_problem(tool: str, structured: dict[str, Any] | None, is_error: bool) -> str | None:
    """What is wrong with an MCP tool result given while the database may be away, or None."""
    if not is_error:
        return None if structured is not None else f"{tool}: a success without structured content"
    return _error_problem(f"tool {tool}", structured)


def _error_problem(where: str, body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or set(error) != {"code", "message", "details"}:
        return f"{where}: not the error shape: {body!r}"[:400]
    if error["code"] != "unavailable" or "database unavailable" not in error["message"]:
        return f"{where}: an error other than the database being unavailable: {error!r}"[:400]
    return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except json.JSONDecodeError:
        return None


@dataclass
class Tally:
    """What one working agent saw: successes, refusals for unavailability, problems, and what was acknowledged."""

    succeeded: int = 0
    unavailable: int = 0
    problems: list[str] = field(default_factory=list)
    created: dict[int, str] = field(default_factory=dict)
    completed: dict[int, str] = field(default_factory=dict)
    last_success_at: float = 0.0


class Worker:
    """An agent looping create (aimed at itself) → claim_next → complete until `stop` is set."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.tally = Tally()
        self.round = 0

    async def run(self, stop: anyio.Event) -> None:
        while not stop.is_set():
            self.round += 1
            title = f"{self.agent.name} #{self.round}"
            created = await self.call("create_task", title=title)
            if created is not None:
                self.tally.created[created["id"]] = title
            claimed = await self.call("claim_next")
            task = claimed["task"] if claimed is not None else None
            if task is None:
                continue
            if task["holder"] != self.agent.name or task["target"] != self.agent.name:
                self.tally.problems.append(f"{self.agent.name} was given {task!r}")
                continue
            result = f"done by {self.agent.name}"
            if await self.call("complete_task", task_id=task["id"], attempt=task["attempt"], result=result):
                self.tally.completed[task["id"]] = result
            await anyio.sleep(ROUND_PAUSE_SECONDS)

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any] | None:
        """The answer's JSON on success, else None (after the pause a client makes before it retries)."""
        started = time.monotonic()
        try:
            with anyio.fail_after(CALL_BOUND_SECONDS):
                answer, problem = await self._send(tool, arguments)
        except TimeoutError:
            answer, problem = None, f"{tool} did not answer within {CALL_BOUND_SECONDS}s"
        except Exception as exc:
            answer, problem = None, f"{tool} failed: {exc!r}"
        if problem is not None:
            self.tally.problems.append(problem)
        elif answer is not None:
            self.tally.succeeded += 1
            self.tally.last_success_at = time.monotonic()
            return answer
        else:
            self.tally.unavailable += 1
        await anyio.sleep(max(0.0, RETRY_PAUSE_SECONDS - (time.monotonic() - started)))
        return None

    async def _send(self, tool: str, arguments: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        raise NotImplementedError


class RestWorker(Worker):
    def __init__(self, agent: Agent, url: str) -> None:
        super().__init__(agent)
        self.http = httpx.AsyncClient(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {agent.key}"}, timeout=CALL_BOUND_SECONDS * 2
        )

    async def run(self, stop: anyio.Event) -> None:
        async with self.http:
            await super().run(stop)

    async def _send(self, tool: str, arguments: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        team = self.agent.team_id
        if tool == "create_task":
            body = {"title": arguments["title"], "target": self.agent.name}
            response = await self.http.post(f"/teams/{team}/tasks", json=body)
        elif tool == "claim_next":
            response = await self.http.post(f"/teams/{team}/tasks/claim-next")
        else:
            task_id = arguments.pop("task_id")
            response = await self.http.post(f"/tasks/{task_id}/complete", json=arguments)
        problem = rest_problem(response)
        return (response.json() if response.is_success else None), problem


class McpWorker(Worker):
    def __init__(self, agent: Agent, url: str) -> None:
        super().__init__(agent)
        self.url = url
        self.client: Client | None = None

    async def run(self, stop: anyio.Event) -> None:
        async with mcp_session(self.url, self.agent.key) as self.client:
            await super().run(stop)

    async def _send(self, tool: str, arguments: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        assert self.client is not None
        if tool == "create_task":
            arguments["target"] = self.agent.name
        result = await self.client.call_tool(tool, arguments)
        structured = result.structured_content
        return (None if result.is_error else structured), tool_problem(tool, structured, result.is_error)


@dataclass
class Parked:
    """A call waiting in claim_next: its answer, and when it came."""

    agent: Agent
    task: dict[str, Any] | None = None
    problem: str | None = None
    answered_at: float | None = None
    done: anyio.Event = field(default_factory=anyio.Event)


async def park_rest(url: str, parked: Parked) -> None:
    agent = parked.agent
    try:
        async with httpx.AsyncClient(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {agent.key}"}, timeout=WAITER_SECONDS + 30
        ) as http:
            path = f"/teams/{agent.team_id}/tasks/claim-next"
            response = await http.post(path, params={"wait_seconds": WAITER_SECONDS})
        parked.problem = None if response.status_code == 200 else f"{response.status_code} {response.text[:300]}"
        parked.task = response.json()["task"] if response.status_code == 200 else None
    except Exception as exc:
        parked.problem = repr(exc)
    parked.answered_at = time.monotonic()
    parked.done.set()


async def park_mcp(url: str, parked: Parked) -> None:
    try:
        async with mcp_session(url, parked.agent.key) as client:
            result = await client.call_tool("claim_next", {"wait_seconds": WAITER_SECONDS})
        structured = result.structured_content or {}
        parked.problem = f"tool error: {structured}" if result.is_error else None
        parked.task = None if result.is_error else structured["task"]
    except Exception as exc:
        parked.problem = repr(exc)
    parked.answered_at = time.monotonic()
    parked.done.set()
