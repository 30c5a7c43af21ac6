"""Revoked and expired keys answer 401 on every route and on MCP; a key over its rate answers 429 everywhere.

The routes come from the app's route table, aimed at the team's own objects, so a 401 cannot be a 404 in disguise.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import pytest

from switchboard.api.app import HubApp
from switchboard.config import Settings
from tests.api.mcp_client import refused_connection
from tests.conftest import FakeClock, Member, World, auth
from tests.fuzz.routes import api_routes, request_body, team_objects

RATE_BURST = 3


async def answers(app: HubApp, http: httpx.AsyncClient, key: str, ids: dict[str, object]) -> dict[str, int]:
    """Each route's status for `key`, as `METHOD path`."""
    statuses = {}
    for route in api_routes(app):
        with anyio.fail_after(10):
            response = await http.request(
                route.method, route.url(ids), headers=auth(key), json=request_body(app, route)
            )
        statuses[f"{route.method} {route.path}"] = response.status_code
        if response.status_code == 401:
            assert response.json()["error"]["code"] == "unauthorized"
    return statuses


async def test_a_revoked_key_answers_401_on_every_route_and_on_mcp(
    app: HubApp, http: httpx.AsyncClient, world: World
) -> None:
    objects = await team_objects(world)
    member = await world.agent("leaver")
    await world.hub.keys.revoke(world.admin, member.principal.key_id)
    statuses = await answers(app, http, member.key, objects.ids)
    assert {route: s for route, s in statuses.items() if s != 401} == {}
    assert await refused_connection(app, member.key)


async def test_an_expired_key_answers_401_on_every_route_and_on_mcp(
    app: HubApp, http: httpx.AsyncClient, world: World, clock: FakeClock
) -> None:
    objects = await team_objects(world)
    issued = await world.hub.keys.create_key(
        world.admin, world.team.id, "temp", "short-lived", expires_at=clock.now + timedelta(minutes=5)
    )
    assert (await http.get("/api/v1/whoami", headers=auth(issued.plaintext))).status_code == 200
    clock.advance(301)
    statuses = await answers(app, http, issued.plaintext, objects.ids)
    assert {route: s for route, s in statuses.items() if s != 401} == {}
    assert await refused_connection(app, issued.plaintext)


class TestRateLimits:
    @pytest.fixture
    def settings(self, tmp_path: Path, database_url: str) -> Settings:
        # A bucket that refills too slowly to matter while the test runs.
        return Settings(
            data_dir=tmp_path / "data", database_url=database_url, rate_per_second=0.001, rate_burst=RATE_BURST
        )

    async def test_a_key_over_its_rate_answers_429_on_every_route_and_on_mcp(
        self, app: HubApp, http: httpx.AsyncClient, world: World
    ) -> None:
        objects = await team_objects(world)
        member: Member = await world.agent("hasty")
        for _ in range(RATE_BURST):
            assert (await http.get("/api/v1/whoami", headers=auth(member.key))).status_code == 200
        statuses = await answers(app, http, member.key, objects.ids)
        assert {route: s for route, s in statuses.items() if s != 429} == {}
        limited = await http.get("/api/v1/whoami", headers=auth(member.key))
        assert limited.json()["error"]["code"] == "rate_limited"
        assert float(limited.headers["Retry-After"]) > 0
        assert await refused_connection(app, member.key)
