"""An isolation matrix over every REST route and MCP tool the app lists: a key of team B aimed at team A's
objects is refused as not found or forbidden, and A's objects are left as they were."""

from __future__ import annotations

import json
import re
from typing import Any

import anyio
import httpx

from switchboard.api.app import HubApp
from tests.api.mcp_client import mcp_client
from tests.conftest import World, auth
from tests.fuzz.routes import api_routes, ghost_ids, request_body, team_objects
from tests.fuzz.shapes import allowed_types, properties, required, row_counts

# Ids that name no team's object: the org both teams are in, the prompt catalogue, the caller's own sessions.
OWN_SCOPE = {"org_id", "role", "session_id"}
# What an outsider may create of its own while trying (a session under the same name is the caller's own).
OWN_TABLES = {"agent_sessions"}
REFUSED = (403, 404)
# Bodies the schema's stand-ins do not satisfy (the service checks more than the schema), so that these routes
# too get as far as looking the object up.
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/tasks/{task_id}"): {"title": "renamed"},
    ("POST", "/api/v1/teams/{team_id}/messages"): {"target": "all", "message": "hello"},
    ("POST", "/api/v1/teams/{team_id}/sprints"): {"project_name": "p", "stories": [{"title": "s"}]},
    ("POST", "/api/v1/sprints/{sprint_id}/stories"): {"title": "s"},
    ("PUT", "/api/v1/agents/{agent_id}/state"): {"state": {"a": 1}},
    ("POST", "/api/v1/tasks/{task_id}/reviews"): {"verdict": "approve"},
    ("POST", "/api/v1/teams/{team_id}/webhooks"): {"url": "https://example.test/h", "events": "*"},
}
# A stand-in of each type for the arguments a tool needs besides the id under test.
FILLERS: dict[str, Any] = {"string": "probe", "integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}


async def test_a_key_of_another_team_is_refused_on_every_route_that_names_a_team_object(
    app: HubApp, http: httpx.AsyncClient, world: World
) -> None:
    objects = await team_objects(world)
    outsider = await (await world.other_team()).manager()
    before = await counts_but_own(world)
    ghosts = ghost_ids(objects.ids)
    problems = []
    checked = 0
    for route in api_routes(app):
        if not set(route.params) - OWN_SCOPE:
            continue
        checked += 1
        body = VALID_BODIES.get((route.method, route.path), request_body(app, route))
        with anyio.fail_after(10):
            response = await http.request(route.method, route.url(objects.ids), headers=auth(outsider.key), json=body)
            ghost = await http.request(route.method, route.url(ghosts), headers=auth(outsider.key), json=body)
        if response.status_code in REFUSED and response.json()["error"]["code"] in ("not_found", "forbidden"):
            continue
        # Refused for its body before the object was looked up: fine, as long as it says no more than a request
        # for an object that does not exist.
        if response.status_code == 422 and (ghost.status_code, ghost.json()) == (422, response.json()):
            continue
        problems.append(f"{route.method} {route.path}: {response.status_code} {response.text[:150]}")
    assert checked > 40
    assert problems == [], "\n".join(problems)
    assert await counts_but_own(world) == before
    assert await own_session(http, objects.member.key, world.team.id) == {"status": "running", "progress": 10}


async def counts_but_own(world: World) -> dict[str, int]:
    return {table: n for table, n in (await row_counts(world.hub)).items() if table not in OWN_TABLES}


async def own_session(http: httpx.AsyncClient, key: str, team_id: int) -> dict[str, Any]:
    response = await http.get(f"/api/v1/teams/{team_id}/sessions", headers=auth(key))
    assert response.status_code == 200, response.text
    sessions = [s for s in response.json()["sessions"] if s["session_id"] == "shared-session"]
    assert len(sessions) == 1, sessions
    return {"status": sessions[0]["status"], "progress": sessions[0]["progress"]}


def masked(answer: Any, *values: Any) -> str:
    """The answer as JSON with the ids given left out, to compare answers about different ids."""
    text = json.dumps(answer or {}, sort_keys=True)
    for value in values:
        text = re.sub(rf"\b{re.escape(str(value))}\b", "<id>", text)
    return text


def tool_id_arguments(tool_schema: dict[str, Any], ids: dict[str, Any]) -> list[str]:
    return [name for name in properties(tool_schema) if name in ids and name.endswith("_id") and name not in OWN_SCOPE]


def fillers(tool_schema: dict[str, Any]) -> dict[str, Any]:
    props = properties(tool_schema)
    values = {}
    for name in required(tool_schema):
        kinds = allowed_types(props.get(name, {})) or {"string"}
        values[name] = next(FILLERS[k] for k in ("integer", "string", "array", "object", "boolean") if k in kinds)
    return values


async def test_a_key_of_another_team_is_refused_by_every_tool_that_names_a_team_object(
    app: HubApp, world: World
) -> None:
    objects = await team_objects(world)
    outsider = await (await world.other_team()).manager()
    before = await counts_but_own(world)
    ghosts = ghost_ids(objects.ids)
    problems = []
    checked = 0
    async with mcp_client(app, outsider.key) as client:
        for tool in (await client.list_tools()).tools:
            for name in tool_id_arguments(tool.input_schema, objects.ids):
                checked += 1
                arguments = fillers(tool.input_schema)
                with anyio.fail_after(10):
                    result = await client.call_tool(tool.name, {**arguments, name: objects.ids[name]})
                    ghost = await client.call_tool(tool.name, {**arguments, name: ghosts[name]})
                answer = result.structured_content or {}
                error = answer.get("error") if result.is_error else None
                if error is not None and error.get("code") in ("not_found", "forbidden"):
                    continue
                # Refused for another argument, or a search that finds nothing: no more than about a ghost.
                same = masked(answer, objects.ids[name], ghosts[name])
                if (result.is_error, same) == (
                    ghost.is_error,
                    masked(ghost.structured_content, objects.ids[name], ghosts[name]),
                ):
                    continue
                problems.append(f"{tool.name}({name}): {str(answer)[:200]} / ghost: {ghost.structured_content}")
    assert checked > 20
    assert problems == [], "\n".join(problems)
    assert await counts_but_own(world) == before
