"""The dashboard's event position, on a database where no other test writes.

The position stops before an event id that is not visible yet, and before a hole a rolled-back write left until it
is sure no transaction in progress can fill it. Other tests writing to a shared database leave such holes, so this
test has a database of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.rest_helpers import new_task, ok
from tests.conftest import World, database_of_its_own


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'switchboard.db'}"
        return
    with database_of_its_own(request.getfixturevalue("postgres_url"), "position") as url:
        yield url


async def test_the_event_position_is_past_every_committed_event(http: httpx.AsyncClient, world: World) -> None:
    task = await new_task(http, world.admin_key, world.team.id)
    events = await ok(http, "GET", f"/tasks/{task['id']}/events", world.admin_key)

    position = await ok(http, "GET", f"/teams/{world.team.id}/events/position", world.admin_key)

    assert position["last_event_id"] >= events["events"][-1]["id"]
