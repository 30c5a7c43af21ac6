"""The role prompts over REST, rendered for the caller."""

from __future__ import annotations

import httpx

from tests.api.rest_helpers import API, error_of, ok
from tests.conftest import World, auth


async def test_the_prompts_are_listed_with_the_callers_own(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    assert await ok(http, "GET", "/prompts", builder.key) == {
        "prompts": ["manager", "engineer", "reviewer"],
        "yours": "engineer",
    }
    assert (await ok(http, "GET", "/prompts", world.admin_key))["yours"] == "manager"


async def test_a_prompt_is_rendered_for_the_caller(http: httpx.AsyncClient, world: World) -> None:
    manager = await world.manager()
    mine = await ok(http, "GET", "/prompts/mine", manager.key)
    assert (mine["role"], mine["prompt"]) == ("manager", "manager")
    assert mine["text"].startswith(f"# You are manager, the manager of team {world.team.name}")
    engineer = await ok(http, "GET", "/prompts/engineer", manager.key)
    assert "`request_review`" in engineer["text"] and "`heartbeat`" in engineer["text"]
    unknown = await ok(http, "GET", "/prompts/designer", manager.key)
    assert unknown["prompt"] == "engineer" and unknown["text"] == engineer["text"]


async def test_an_admin_names_the_team_and_other_teams_are_not_found(http: httpx.AsyncClient, world: World) -> None:
    other = await world.other_team()
    shown = await ok(http, "GET", "/prompts/reviewer", world.admin_key, params={"team_id": world.team.id})
    assert f"a reviewer on team {world.team.name}" in shown["text"]
    error_of(await http.get(f"{API}/prompts/reviewer", headers=auth(world.admin_key)), 422, "invalid_input")
    stranger = await other.manager()
    refused = await http.get(f"{API}/prompts/reviewer", params={"team_id": world.team.id}, headers=auth(stranger.key))
    error_of(refused, 404, "not_found")
    assert (await http.get(f"{API}/prompts")).status_code == 401
