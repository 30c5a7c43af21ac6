"""Agents that create, claim, complete and message against a hub that may be killed under them, each keeping a
ledger of what the hub acknowledged to it and of the requests whose answer it never got."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import httpx

from tests.conftest import auth
from tests.faults.hub_process import KillableHub
from tests.faults.ports import API, HubDown, McpPort, Port, RestPort, answer

# The shortest lease a task may have, so that the claims of agents that died come back soon.
LEASE_SECONDS = 10
# Every kill may cost a task a lease; the tasks must not run out of attempts and fail instead of coming back.
MAX_ATTEMPTS = 100
# The last agents speak MCP (one durable, one forgetful); the others REST. Each MCP call is a connection of its
# own, three requests, so they are few.
MCP_AGENTS = 2

Claim = tuple[int, int]  # (task id, attempt)
T = TypeVar("T")


@dataclass
class Ledger:
    """What one agent was told by the hub, and what it cannot know."""

    name: str
    peer: str  # who its messages go to
    created: dict[str, int] = field(default_factory=dict)  # title -> task id
    claims: set[Claim] = field(default_factory=set)
    completed: dict[int, str] = field(default_factory=dict)  # task id -> result
    sent: dict[str, int] = field(default_factory=dict)  # body -> message id
    abandoned: set[Claim] = field(default_factory=set)  # claims given up unfinished
    lost_answers: int = 0
    # Requests whose answer was lost and never learnt: each applied once or not at all.
    unanswered_creates: list[str] = field(default_factory=list)
    unanswered_sends: list[str] = field(default_factory=list)
    unanswered_claims: int = 0
    unanswered_completions: list[tuple[int, int, str]] = field(default_factory=list)  # task, attempt, result


class Load:
    """Agents at work on a hub; the test kills and restarts it while they run."""

    def __init__(self, hub: KillableHub) -> None:
        self.hub = hub
        self.ledgers: list[Ledger] = []
        self.acknowledged = 0
        self.kills = 0
        # Requests that got no answer, by the kill that cut them off (1 for the first).
        self.cut_off: Counter[int] = Counter()
        # Forgetful agents holding an acknowledged claim: a kill now leaves their claim behind.
        self.forgetful_holders: set[str] = set()
        self.stopping = False
        self._up = asyncio.Event()
        self._up.set()
        self._target = math.inf
        self._reached = asyncio.Event()

    def count_acknowledged(self) -> None:
        self.acknowledged += 1
        if self.acknowledged >= self._target and self.forgetful_holders:
            self._reached.set()

    async def until_acknowledged(self, more: int) -> None:
        """Wait until the agents have had `more` writes acknowledged and a forgetful one holds a claim."""
        self._target = self.acknowledged + more
        self._reached = asyncio.Event()
        await self._reached.wait()
        # The holder may have sent its completion since: then wait for another (the kill follows this at once).
        while not self.forgetful_holders:
            self._reached = asyncio.Event()
            await self._reached.wait()

    async def kill_and_restart(self) -> None:
        """SIGKILL the hub mid-load and start it again; the agents stay paused until `resume`."""
        self._up.clear()
        self.hub.kill()
        self.kills += 1
        await anyio.to_thread.run_sync(self.hub.start)

    def resume(self) -> None:
        self._up.set()

    @property
    def is_up(self) -> bool:
        return self._up.is_set()

    async def hub_is_up(self) -> None:
        await self._up.wait()


class Agent:
    """Loops: create a task, claim the best ready one, send a message, complete the task.

    When a request gets no answer, a durable agent waits for the hub and carries on: it sends a create or a message
    again with the same idempotency key, resends a completion, and asks the hub which task it holds after a lost
    claim. A forgetful agent dies with the hub: it gives up what it held and starts afresh, as a restarted agent
    process would.
    """

    def __init__(self, load: Load, port: Port, ledger: Ledger, *, durable: bool) -> None:
        self.load = load
        self.port = port
        self.ledger = ledger
        self.durable = durable
        self._holding: Claim | None = None
        # When the claim_next behind the claim held was sent: its lease cannot have run out sooner than LEASE_SECONDS
        # after that.
        self._claim_asked_at = 0.0

    @property
    def holding(self) -> Claim | None:
        return self._holding

    @holding.setter
    def holding(self, claim: Claim | None) -> None:
        self._holding = claim
        if not self.durable and claim is not None:
            self.load.forgetful_holders.add(self.ledger.name)
        else:
            self.load.forgetful_holders.discard(self.ledger.name)

    async def work(self) -> None:
        turn = 0
        while not self.load.stopping:
            turn += 1
            try:
                await self.one_round(turn)
            except HubDown:
                if self.holding is not None:
                    self.ledger.abandoned.add(self.holding)
                    self.holding = None

    async def one_round(self, turn: int) -> None:
        name = self.ledger.name
        await self.create(f"{name} task {turn}")
        claim = await self.claim_next()
        await self.send(f"{name} message {turn}")
        if claim is not None:
            await self.complete(claim, f"{name} result {turn}")

    async def create(self, title: str) -> None:
        fields = {"title": title, "lease_seconds": LEASE_SECONDS, "max_attempts": MAX_ATTEMPTS}
        try:
            task = await self.until_answered(lambda: self.port.create_task(fields, f"{self.ledger.name}/{title}"))
        except HubDown:
            self.ledger.unanswered_creates.append(title)
            raise
        self.ledger.created[title] = task["id"]
        self.load.count_acknowledged()

    async def claim_next(self) -> Claim | None:
        self._claim_asked_at = time.monotonic()
        try:
            task = await self.answered(self.port.claim_next)
        except HubDown:
            if not self.durable:
                self.ledger.unanswered_claims += 1
                raise
            return await self.find_own_claim()
        return None if task is None else self.hold(task)

    async def find_own_claim(self) -> Claim | None:
        """After a lost answer to claim_next: if the claim was made, the hub lists the task as held by this agent."""
        held = await self.until_answered(lambda: self.port.held_tasks(self.ledger.name))
        # A claim given up on an expired lease stays `claimed` until the sweep returns it.
        held = [t for t in held if (t["id"], t["attempt"]) not in self.ledger.abandoned]
        assert len(held) <= 1, f"{self.ledger.name} holds {held}"
        if not held:
            self.ledger.unanswered_claims += 1
            return None
        return self.hold(held[0])

    def hold(self, task: dict[str, Any]) -> Claim:
        claim = (task["id"], task["attempt"])
        self.ledger.claims.add(claim)
        self.holding = claim
        self.load.count_acknowledged()
        return claim

    async def complete(self, claim: Claim, result: str) -> None:
        task_id, attempt = claim
        # A completion under way may be applied before a kill: this claim can no longer be counted on to be left.
        self.load.forgetful_holders.discard(self.ledger.name)
        try:
            done = await self.until_answered(lambda: self.port.complete_task(task_id, attempt, result))
        except HubDown:
            self.holding = None
            self.ledger.unanswered_completions.append((task_id, attempt, result))
            raise
        self.holding = None
        if done is None:
            # Refused: either a resent completion whose first copy was applied, or a lease that ran out while the
            # hub was down; the final checks hold the hub to a `lease_expired` event for the second.
            task = await self.until_answered(lambda: self.port.get_task(task_id))
            if (task["status"], task["result"]) != ("done", result):
                held = time.monotonic() - self._claim_asked_at
                assert held >= LEASE_SECONDS, f"completion of {claim} refused {held:.1f}s after the claim: {task}"
                self.ledger.abandoned.add(claim)
                return
        self.ledger.completed[task_id] = result
        self.load.count_acknowledged()

    async def send(self, text: str) -> None:
        try:
            message = await self.until_answered(
                lambda: self.port.send_message(self.ledger.peer, text, f"{self.ledger.name}/{text}")
            )
        except HubDown:
            self.ledger.unanswered_sends.append(text)
            raise
        self.ledger.sent[text] = message["id"]
        self.load.count_acknowledged()

    async def until_answered(self, call: Callable[[], Awaitable[T]]) -> T:
        """A durable agent sends again once the hub is back; a forgetful one lets HubDown out."""
        while True:
            try:
                return await self.answered(call)
            except HubDown:
                if not self.durable:
                    raise

    async def answered(self, call: Callable[[], Awaitable[T]]) -> T:
        await self.load.hub_is_up()
        try:
            return await call()
        except HubDown as exc:
            assert not self.load.is_up, f"{self.ledger.name} got no answer from a hub that was not killed: {exc!r}"
            self.ledger.lost_answers += 1
            self.load.cut_off[self.load.kills] += 1
            raise


async def team_of_agents(hub: KillableHub, count: int) -> tuple[int, list[tuple[str, str]]]:
    """A new team with `count` agents; its id and each agent's (name, key)."""
    async with httpx.AsyncClient(base_url=hub.url + API, headers=auth(hub.admin_key), timeout=10) as admin:
        org = answer(await admin.get("/orgs"), 200)["orgs"][0]["id"]
        team = answer(await admin.post(f"/orgs/{org}/teams", json={"name": "Under fire"}), 201)

        async def issue(name: str) -> tuple[str, str]:
            issued = answer(await admin.post(f"/teams/{team['id']}/keys", json={"program_id": name}), 201)
            return name, issued["key"]

        members = await asyncio.gather(*(issue(f"agent-{n:02d}") for n in range(count)))
    return team["id"], members


@asynccontextmanager
async def under_load(hub: KillableHub, agents: int) -> AsyncIterator[tuple[Load, int]]:
    """`agents` agents at work on a new team of the hub, each messaging the next: half durable and half forgetful,
    MCP_AGENTS over MCP and the rest over REST. They finish their round and stop when the block ends."""
    team_id, members = await team_of_agents(hub, agents)
    load = Load(hub)
    async with anyio.create_task_group() as group:
        for index, (name, key) in enumerate(members):
            ledger = Ledger(name, peer=members[(index + 1) % agents][0])
            load.ledgers.append(ledger)
            port_type = McpPort if index >= agents - MCP_AGENTS else RestPort
            group.start_soon(_run_agent, load, port_type(hub.url, team_id, key), ledger, index % 2 == 0)
        try:
            yield load, team_id
        except BaseException:
            group.cancel_scope.cancel()
            raise
        load.stopping = True
        load.resume()


async def _run_agent(load: Load, port: Port, ledger: Ledger, durable: bool) -> None:
    async with port:
        await Agent(load, port, ledger, durable=durable).work()
