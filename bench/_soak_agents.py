"""The soak's simulated agents: each an MCP client over Streamable HTTP looping claim_next, heartbeat,
complete_task, send_message and get_messages; split over a few client processes so that the clients' own work
does not become the limit. The processes share a few counters with the soak's main process."""

from __future__ import annotations

import asyncio
import enum
import multiprocessing
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.sharedctypes import SynchronizedArray
from multiprocessing.synchronize import Event
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

# A few error messages from each client process are kept for the report; the counters keep the rest.
ERRORS_KEPT = 5
# After a claim found nothing, the next one waits this long for a task instead of asking again at once.
EMPTY_WAIT_SECONDS = 1


class Count(enum.IntEnum):
    CONNECTED = 0
    CALLS = 1
    TOOL_ERRORS = 2
    EXCEPTIONS = 3
    CLAIMED = 4
    COMPLETED = 5
    EMPTY_CLAIMS = 6
    MESSAGES_SENT = 7
    MESSAGES_READ = 8


@dataclass
class Shared:
    """What the client processes and the main process share."""

    counts: SynchronizedArray[int]
    stop: Event
    errors: multiprocessing.Queue[str]

    @classmethod
    def create(cls, context: Any) -> Shared:
        return cls(context.Array("q", len(Count)), context.Event(), context.Queue())

    def add(self, count: Count, n: int = 1) -> None:
        with self.counts.get_lock():
            self.counts[count] += n

    def get(self, count: Count) -> int:
        return int(self.counts[count])


def run_agents(mcp_url: str, keys: list[tuple[str, str]], peers: list[str], shared: Shared, seed: int) -> None:
    """A client process: one MCP session per (agent name, key), until `shared.stop` is set."""
    asyncio.run(_run_agents(mcp_url, keys, peers, shared, random.Random(seed)))


async def _run_agents(
    mcp_url: str, keys: list[tuple[str, str]], peers: list[str], shared: Shared, rng: random.Random
) -> None:
    kept: list[str] = []
    agents = [Agent(name, key, mcp_url, peers, shared, rng, kept) for name, key in keys]
    await asyncio.gather(*(agent.run() for agent in agents))


class ToolRefused(Exception):
    pass


Call = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@asynccontextmanager
async def mcp_session(mcp_url: str, key: str, shared: Shared) -> AsyncIterator[Call]:
    """An MCP session with `key`; its `call` answers a tool's structured result, or raises ToolRefused."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=120) as http,
        Client(streamable_http_client(mcp_url, http_client=http)) as client,
    ):

        async def call(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
            result = await client.call_tool(tool, arguments)
            shared.add(Count.CALLS)
            if result.is_error or result.structured_content is None:
                raise ToolRefused(f"{tool}: {result.structured_content or result.content}")
            answer: dict[str, Any] = result.structured_content
            return answer

        yield call


@dataclass
class Agent:
    name: str
    key: str
    mcp_url: str
    peers: list[str]
    shared: Shared
    rng: random.Random
    kept: list[str]
    wait: int = 0

    async def run(self) -> None:
        connected = False
        while not self.shared.stop.is_set():
            try:
                async with mcp_session(self.mcp_url, self.key, self.shared) as call:
                    if not connected:
                        self.shared.add(Count.CONNECTED)
                        connected = True
                    while not self.shared.stop.is_set():
                        try:
                            await self.step(call)
                        except ToolRefused as refusal:
                            self.shared.add(Count.TOOL_ERRORS)
                            self.keep(f"{self.name}: {refusal}")
            except Exception as exc:  # the session failed: count it, keep it, and connect again
                self.shared.add(Count.EXCEPTIONS)
                self.keep(f"{self.name}: {exc!r}")

    async def step(self, call: Call) -> None:
        """One round: claim (and work on) a task, tell a peer, read the inbox."""
        task = (await call("claim_next", {"wait_seconds": self.wait}))["task"]
        if task is None:
            self.shared.add(Count.EMPTY_CLAIMS)
            self.wait = EMPTY_WAIT_SECONDS
        else:
            self.shared.add(Count.CLAIMED)
            self.wait = 0
            await call("heartbeat", {"task_id": task["id"]})
            usage = {"tokens_in": self.rng.randint(100, 5000), "tokens_out": self.rng.randint(50, 2000)}
            await call("complete_task", {"task_id": task["id"], "result": f"done by {self.name}", **usage})
            self.shared.add(Count.COMPLETED)
        peer = self.rng.choice(self.peers)
        await call("send_message", {"target": peer, "message": f"{self.name}: {'worked' if task else 'idle'}"})
        self.shared.add(Count.MESSAGES_SENT)
        inbox = await call("get_messages", {})
        self.shared.add(Count.MESSAGES_READ, len(inbox["messages"]))

    def keep(self, error: str) -> None:
        if len(self.kept) < ERRORS_KEPT:
            self.kept.append(error)
            self.shared.errors.put(error)
