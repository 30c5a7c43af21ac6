"""A hub on the real clock (turns take real time) with a dispatcher running beside it, and runner scripts."""

from __future__ import annotations

import json
import os
import secrets
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest

from switchboard.config import Settings
from switchboard.dispatch.dispatcher import Dispatcher
from switchboard.dispatch.models import Turn
from switchboard.hub import Hub, running_hub
from switchboard.teams.models import Agent, Principal, Team
from switchboard.waiting import wait_until

T = TypeVar("T")
WAIT_SECONDS = 30.0

# Each turn appends what it saw to <dir>/<agent>.jsonl; while it runs it holds <dir>/<agent>.running, created
# exclusively, so a second turn of the same agent at the same time is seen (and recorded as an overlap).
RECORD = """
import json, os, sys
d = sys.argv[1]
agent = os.environ["SWITCHBOARD_AGENT"]
running = os.path.join(d, agent + ".running")
try:
    fd = os.open(running, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
except FileExistsError:
    open(os.path.join(d, "overlaps"), "a").write(agent + "\\n")
    fd = None
seen = {k: v for k, v in os.environ.items() if k.startswith("SWITCHBOARD_")}
seen["cwd"] = os.getcwd()
seen["prompt"] = open(os.environ["SWITCHBOARD_PROMPT_FILE"]).read()
seen["argv"] = sys.argv[1:]
gate = os.path.join(d, agent + ".gate")
if os.path.exists(gate):
    open(gate).read()  # a FIFO: blocks until the test opens it for writing
with open(os.path.join(d, agent + ".jsonl"), "a") as f:
    f.write(json.dumps(seen) + "\\n")
if fd is not None:
    os.close(fd)
    os.unlink(running)
print("turn of", agent, "done")
"""


@dataclass
class Scene:
    hub: Hub
    admin: Principal
    team: Team
    scripts: Path

    def script(self, name: str, body: str) -> str:
        path = self.scripts / f"{name}.py"
        path.write_text(textwrap.dedent(body))
        return str(path)

    def record_command(self) -> str:
        return f"{sys.executable} {self.script('record', RECORD)} {self.scripts}"

    async def agent(self, name: str, command: str | None = None, role: str = "engineer", **runner: Any) -> Agent:
        config = {"runner": {"type": "command", "command": command or self.record_command(), **runner}}
        return await self.hub.teams.create_agent(self.admin, self.team.id, name, role, config=config)

    def gate(self, agent: str) -> Path:
        """Make the agent's turns block until `release` is called."""
        path = self.scripts / f"{agent}.gate"
        os.mkfifo(path)
        return path

    async def release(self, agent: str) -> None:
        path = self.scripts / f"{agent}.gate"

        def open_and_close() -> None:
            with path.open("w"):
                pass
            path.unlink()

        await anyio.to_thread.run_sync(open_and_close)

    def records(self, agent: str) -> list[dict[str, Any]]:
        path = self.scripts / f"{agent}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def overlaps(self) -> list[str]:
        path = self.scripts / "overlaps"
        return path.read_text().split() if path.exists() else []

    async def turns(self, agent: str | None = None) -> list[Turn]:
        return list(reversed(await self.hub.turns.list_turns(self.admin, self.team.id, agent=agent, limit=200)))

    async def until(self, check: Callable[[], Awaitable[T]], timeout: float = WAIT_SECONDS) -> T:
        """Wait, woken by the team's changes, until `check` answers something true."""
        with anyio.fail_after(timeout):
            return await wait_until(self.hub.notifier, self.team.id, check, timeout)

    async def ended_turns(self, agent: str, count: int, timeout: float = WAIT_SECONDS) -> list[Turn]:
        async def ended() -> list[Turn]:
            turns = [t for t in await self.turns(agent) if t.ended_at is not None]
            return turns if len(turns) >= count else []

        return await self.until(ended, timeout)

    async def running_turns(self, agent: str | None = None) -> list[Turn]:
        return [t for t in await self.turns(agent) if t.ended_at is None]


@pytest.fixture
async def live_hub(tmp_path: Path, database_url: str) -> AsyncIterator[Hub]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, rate_per_second=10_000, rate_burst=10_000
    )
    async with running_hub(settings) as hub:
        yield hub


@pytest.fixture
async def scene(live_hub: Hub, tmp_path: Path) -> Scene:
    key = live_hub.settings.admin_key_file.read_text().strip()
    admin = await live_hub.keys.authenticate(key)
    team = await live_hub.teams.create_team(admin, admin.org_id, f"Team {secrets.token_hex(4)}")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    return Scene(live_hub, admin, team, scripts)


@asynccontextmanager
async def dispatching(hub: Hub, **options: Any) -> AsyncIterator[Dispatcher]:
    """A dispatcher running until the block ends."""
    options.setdefault("hub_url", "http://127.0.0.1:9")
    dispatcher = Dispatcher(hub, **options)
    async with anyio.create_task_group() as group:
        group.start_soon(dispatcher.run)
        with anyio.fail_after(5):
            await dispatcher.started.wait()
        yield dispatcher
        group.cancel_scope.cancel()
