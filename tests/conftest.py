"""One suite, two backends: every test that takes `hub` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from switchboard.api.app import HubApp, create_app
from switchboard.config import Settings
from switchboard.hub import Hub, running_hub
from switchboard.teams.models import Principal, Team

PG_SERVER = os.environ.get("SWITCHBOARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
BACKENDS = ["sqlite", "postgres"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the local server for this test session, dropped at the end."""
    name = f"switchboard_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        asyncio.run(_server_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {PG_SERVER} is not reachable ({exc})"
        if IN_CI:
            pytest.fail(f"{message}; under CI=true the PostgreSQL tests must run")
        pytest.skip(message)
    yield f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    asyncio.run(_server_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def database_of_its_own(postgres_url: str, label: str) -> Iterator[str]:
    """A database beside the session's, for a test whose hubs must not meet other tests' teams (they dispatch
    every team of their database), or must not leave anything in the shared one; dropped afterwards."""
    name = f"switchboard_{label}_{secrets.token_hex(4)}"
    asyncio.run(_server_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_server_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _server_admin(sql: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres", timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Parametrised here rather than with fixture params, which async fixtures do not pass on.
    if "database_url" in metafunc.fixturenames:
        # A test marked `postgres` is about PostgreSQL alone (its listener, its commit order): no SQLite run.
        only_postgres = metafunc.definition.get_closest_marker("postgres") is not None
        metafunc.parametrize("database_url", ["postgres"] if only_postgres else BACKENDS, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'switchboard.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


class FakeClock:
    """A clock tests move forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, rate_per_second=10_000, rate_burst=10_000)


@pytest.fixture
async def hub(settings: Settings, clock: FakeClock) -> AsyncIterator[Hub]:
    async with running_hub(settings, clock=clock) as hub:
        yield hub


@dataclass
class Member:
    """An agent of the test team with its key."""

    principal: Principal
    key: str

    @property
    def name(self) -> str:
        assert self.principal.agent is not None
        return self.principal.agent.name

    @property
    def id(self) -> int:
        assert self.principal.agent is not None
        return self.principal.agent.id


@dataclass
class World:
    """A fresh team in its own org-wide hub, and a way to add agents with keys."""

    hub: Hub
    admin: Principal
    admin_key: str
    team: Team

    async def agent(self, name: str, role: str = "engineer", groups: list[str] | None = None) -> Member:
        if groups is not None:
            await self.hub.teams.create_agent(self.admin, self.team.id, name, role, groups=groups)
        issued = await self.hub.keys.create_key(self.admin, self.team.id, name, f"{name} key", role=role)
        return Member(await self.hub.keys.authenticate(issued.plaintext), issued.plaintext)

    async def manager(self) -> Member:
        issued = await self.hub.keys.create_key(self.admin, self.team.id, "manager", "manager key")
        return Member(await self.hub.keys.authenticate(issued.plaintext), issued.plaintext)

    async def other_team(self) -> World:
        team = await self.hub.teams.create_team(self.admin, self.admin.org_id, f"Other {secrets.token_hex(4)}")
        return World(self.hub, self.admin, self.admin_key, team)


@pytest.fixture
async def world(hub: Hub) -> World:
    key = hub.settings.admin_key_file.read_text().strip()
    admin = await hub.keys.authenticate(key)
    team = await hub.teams.create_team(admin, admin.org_id, f"Team {secrets.token_hex(4)}")
    return World(hub, admin, key, team)


@pytest.fixture
async def app(hub: Hub) -> AsyncIterator[HubApp]:
    app = create_app(hub, periodic=False)
    async with app.running():
        yield app


@pytest.fixture
async def http(app: HubApp) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app in-process; pass `headers=auth(key)` per call."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
