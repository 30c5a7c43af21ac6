"""Program state over REST: the same rules as the tools, with ETag / If-Match for expected versions."""

import anyio
import httpx

from switchboard.api.app import HubApp
from tests.api.rest_helpers import API, error_of, ok
from tests.conftest import World, auth

SUMMARY = {
    "lastTask": {"taskId": "abc123", "title": "Add /api/users endpoint", "outcome": "completed"},
    "activeWorkItems": ["Working on user management feature"],
    "openQuestions": ["Should we add rate limiting to all endpoints or just /api/users?"],
}


async def test_a_saved_context_summary_is_read_back_by_a_new_client(
    app: HubApp, http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    saved = await ok(http, "PUT", "/agents/builder/state", builder.key, json={"contextSummary": SUMMARY})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as later:
        response = await later.get(f"{API}/agents/builder/state", headers=auth(builder.key))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    read = response.json()
    assert saved["version"] == read["version"] == 1
    assert read["context_summary"] == SUMMARY
    assert (read["program_id"], read["agent_id"], read["team_id"]) == ("builder", builder.id, world.team.id)


async def test_an_agent_with_no_state_reads_version_0(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    read = await ok(http, "GET", f"/agents/{builder.id}/state", builder.key)
    assert (read["version"], read["state"], read["context_summary"], read["updated_at"]) == (0, {}, None, None)


async def test_merge_replace_and_history_pages(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    path = "/agents/builder/state"
    await ok(http, "PUT", path, builder.key, json={"state": {"branch": "main", "step": 1}})
    merged = await ok(http, "PUT", path, builder.key, json={"context_summary": "half", "state": {"step": None}})
    replaced = await ok(http, "PUT", path, builder.key, json={"state": {"fresh": True}, "mode": "replace"})
    page = await ok(http, "GET", f"{path}/history", builder.key, params={"limit": 2})
    older = await ok(
        http, "GET", f"{path}/history", builder.key, params={"limit": 2, "before_version": page["next_before_version"]}
    )
    assert merged["state"] == {"branch": "main", "contextSummary": "half"}
    assert replaced["state"] == {"fresh": True}
    assert [(v["version"], v["mode"]) for v in page["versions"]] == [(3, "replace"), (2, "merge")]
    assert [v["version"] for v in older["versions"]] == [1]
    assert older["next_before_version"] is None


async def test_a_stale_version_in_the_body_or_if_match_is_409_and_writes_nothing(
    http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    path = f"{API}/agents/builder/state"
    first = await http.put(path, json={"state": {"step": 1}}, headers={**auth(builder.key), "If-Match": '"0"'})
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    second = await http.put(
        path, json={"state": {"step": 2}}, headers={**auth(builder.key), "If-Match": first.headers["ETag"]}
    )
    assert second.status_code == 200
    stale_header = await http.put(path, json={"state": {"step": 9}}, headers={**auth(builder.key), "If-Match": '"1"'})
    stale_body = await http.put(path, json={"state": {"step": 9}, "expectedVersion": 1}, headers=auth(builder.key))
    for response in (stale_header, stale_body):
        assert error_of(response, 409, "conflict")["details"] == {"expected_version": 1, "current_version": 2}
    current = await ok(http, "GET", "/agents/builder/state", builder.key)
    assert (current["version"], current["state"]) == (2, {"step": 2})
    history = await ok(http, "GET", "/agents/builder/state/history", builder.key)
    assert len(history["versions"]) == 2


async def test_a_malformed_or_disagreeing_if_match_is_422(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    path = f"{API}/agents/builder/state"
    odd = await http.put(path, json={"state": {"a": 1}}, headers={**auth(builder.key), "If-Match": "yesterday"})
    split = await http.put(
        path, json={"state": {"a": 1}, "expected_version": 0}, headers={**auth(builder.key), "If-Match": '"3"'}
    )
    error_of(odd, 422, "invalid_input")
    error_of(split, 422, "invalid_input")


async def test_another_engineers_state_is_403_to_write_and_to_read(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    snoop = await world.agent("snoop")
    await ok(http, "PUT", "/agents/builder/state", builder.key, json={"state": {"secret": 1}})
    write = await http.put(f"{API}/agents/builder/state", json={"state": {"x": 1}}, headers=auth(snoop.key))
    read = await http.get(f"{API}/agents/builder/state", headers=auth(snoop.key))
    history = await http.get(f"{API}/agents/builder/state/history", headers=auth(snoop.key))
    error_of(write, 403, "forbidden")
    error_of(read, 403, "forbidden")
    error_of(history, 403, "forbidden")


async def test_managers_and_admins_read_but_do_not_write_an_agents_state(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    await ok(http, "PUT", "/agents/builder/state", builder.key, json={"contextSummary": SUMMARY})
    by_manager = await ok(http, "GET", "/agents/builder/state", manager.key)
    by_admin = await ok(http, "GET", f"/agents/{builder.id}/state", world.admin_key)
    by_admin_name = await ok(http, "GET", "/agents/builder/state", world.admin_key, params={"team_id": world.team.id})
    assert by_manager["context_summary"] == by_admin["context_summary"] == by_admin_name["context_summary"] == SUMMARY
    for key in (manager.key, world.admin_key):
        refused = await http.put(f"{API}/agents/{builder.id}/state", json={"state": {"x": 1}}, headers=auth(key))
        error_of(refused, 403, "forbidden")


async def test_another_teams_agent_is_404(http: httpx.AsyncClient, world: World) -> None:
    other = await world.other_team()
    stranger = await other.agent("stranger")
    builder = await world.agent("builder")
    manager = await world.manager()
    for key in (builder.key, manager.key):
        for ref in ("stranger", str(stranger.id)):
            error_of(await http.get(f"{API}/agents/{ref}/state", headers=auth(key)), 404, "not_found")
    put = await http.put(f"{API}/agents/{stranger.id}/state", json={"state": {"x": 1}}, headers=auth(builder.key))
    error_of(put, 404, "not_found")
    error_of(await http.get(f"{API}/teams/{other.team.id}/states", headers=auth(manager.key)), 404, "not_found")


async def test_oversize_and_invalid_bodies_are_refused(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    path = f"{API}/agents/builder/state"
    big = await http.put(path, json={"state": {"blob": "x" * (300 * 1024)}}, headers=auth(builder.key))
    empty = await http.put(path, json={}, headers=auth(builder.key))
    unknown = await http.put(path, json={"state": {"a": 1}, "colour": "red"}, headers=auth(builder.key))
    error_of(big, 413, "too_large")
    error_of(empty, 422, "invalid_input")
    error_of(unknown, 422, "invalid_input")
    assert (await ok(http, "GET", "/agents/builder/state", builder.key))["version"] == 0


async def test_the_team_overview_lists_every_agents_state_for_managers(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    await ok(http, "PUT", "/agents/builder/state", builder.key, json={"contextSummary": "parser", "state": {"pr": 42}})
    overview = await ok(http, "GET", f"/teams/{world.team.id}/states", manager.key)
    rows = {s["program_id"]: s for s in overview["states"]}
    assert set(rows) == {"manager", "builder"}
    assert (rows["builder"]["version"], rows["builder"]["keys"]) == (1, ["contextSummary", "pr"])
    assert rows["builder"]["context_summary"] == "parser"
    assert rows["manager"]["version"] == 0
    assert (await ok(http, "GET", f"/teams/{world.team.id}/states", world.admin_key))["states"]
    refused = await http.get(f"{API}/teams/{world.team.id}/states", headers=auth(builder.key))
    error_of(refused, 403, "forbidden")


async def test_concurrent_writers_with_if_match_lose_no_update(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    path = f"{API}/agents/builder/state"

    async def writer(index: int) -> None:
        while True:
            seen = await http.get(path, headers=auth(builder.key))
            document = {**seen.json()["state"], f"writer-{index}": index}
            headers = {**auth(builder.key), "If-Match": seen.headers["ETag"]}
            response = await http.put(path, json={"state": document, "mode": "replace"}, headers=headers)
            if response.status_code == 200:
                return
            error_of(response, 409, "conflict")

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for i in range(10):
                tg.start_soon(writer, i)
    final = await ok(http, "GET", "/agents/builder/state", builder.key)
    assert (final["version"], final["state"]) == (10, {f"writer-{i}": i for i in range(10)})
