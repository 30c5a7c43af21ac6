"""A hub owned by a blocking portal, so that sync Hypothesis tests can drive the async services."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from switchboard.config import Settings
from switchboard.hub import Hub, running_hub
from tests.conftest import FakeClock, World

R = TypeVar("R")


@dataclass
class PortalHub:
    """A running hub on the portal's event loop; `call` runs one coroutine there and waits for its answer."""

    portal: BlockingPortal
    hub: Hub

    def call(self, func: Callable[..., Awaitable[R]], *args: Any) -> R:
        return self.portal.call(func, *args)

    def new_world(self) -> World:
        """A fresh team, so that each example works on rows of its own."""

        async def make() -> World:
            key = self.hub.settings.admin_key_file.read_text().strip()
            admin = await self.hub.keys.authenticate(key)
            team = await self.hub.teams.create_team(admin, admin.org_id, f"Fuzz {secrets.token_hex(4)}")
            return World(self.hub, admin, key, team)

        return self.call(make)


@pytest.fixture
def portal_hub(tmp_path: Path, database_url: str) -> Iterator[PortalHub]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, rate_per_second=10_000, rate_burst=10_000
    )
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(running_hub(settings, clock=FakeClock())) as hub,
    ):
        yield PortalHub(portal, hub)
