import httpx

from switchboard.api.app import create_app
from switchboard.config import Settings
from switchboard.hub import Hub, running_hub
from tests.api.rest_helpers import API, created, error_of, new_task, ok
from tests.conftest import FakeClock, World, auth

# -- 401 ----------------------------------------------------------------------------------------------------------


async def test_a_request_without_a_key_answers_401_asking_for_a_bearer_key(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{API}/keys")
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_an_unknown_key_answers_401(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{API}/whoami", headers=auth("sb_not-a-key"))
    assert "unknown" in error_of(response, 401, "unauthorized")["message"]


# -- 404 across teams ---------------------------------------------------------------------------------------------


async def test_another_teams_task_is_not_found(http: httpx.AsyncClient, world: World) -> None:
    task = await new_task(http, world.admin_key, world.team.id)
    stranger = await (await world.other_team()).agent("stranger")
    for method, path in (
        ("GET", f"/tasks/{task['id']}"),
        ("GET", f"/tasks/{task['id']}/events"),
        ("POST", f"/tasks/{task['id']}/claim"),
        ("POST", f"/tasks/{task['id']}/cancel"),
    ):
        response = await http.request(method, API + path, headers=auth(stranger.key))
        error_of(response, 404, "not_found")
    assert (await ok(http, "GET", f"/tasks/{task['id']}", world.admin_key))["status"] == "ready"


async def test_another_team_and_its_agents_are_not_found(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    stranger = await (await world.other_team()).agent("stranger")
    for path in (
        f"/teams/{world.team.id}",
        f"/teams/{world.team.id}/agents",
        f"/teams/{world.team.id}/tasks",
        f"/settings/teams/{world.team.id}",
        f"/agents/{builder.id}",
    ):
        error_of(await http.get(API + path, headers=auth(stranger.key)), 404, "not_found")


async def test_creating_tasks_or_claiming_next_in_another_team_is_not_found(
    http: httpx.AsyncClient, world: World
) -> None:
    stranger = await (await world.other_team()).agent("stranger")
    headers = auth(stranger.key)
    create = await http.post(f"{API}/teams/{world.team.id}/tasks", json={"title": "sneak"}, headers=headers)
    error_of(create, 404, "not_found")
    claim = await http.post(f"{API}/teams/{world.team.id}/tasks/claim-next", headers=headers)
    error_of(claim, 404, "not_found")


# -- 403 ----------------------------------------------------------------------------------------------------------


async def test_claiming_a_task_aimed_at_someone_else_answers_403(http: httpx.AsyncClient, world: World) -> None:
    await world.agent("alice")
    bob = await world.agent("bob")
    task = await new_task(http, world.admin_key, world.team.id, target="alice")
    response = await http.post(f"{API}/tasks/{task['id']}/claim", headers=auth(bob.key))
    assert error_of(response, 403, "forbidden")["details"]["target"] == "alice"


async def test_an_admin_key_cannot_claim_tasks(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(f"{API}/teams/{world.team.id}/tasks/claim-next", headers=auth(world.admin_key))
    error_of(response, 403, "forbidden")


# -- 409 ----------------------------------------------------------------------------------------------------------


async def test_claiming_a_claimed_task_answers_409_naming_the_holder(http: httpx.AsyncClient, world: World) -> None:
    alice = await world.agent("alice")
    bob = await world.agent("bob")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", alice.key)
    response = await http.post(f"{API}/tasks/{task['id']}/claim", headers=auth(bob.key))
    error = error_of(response, 409, "conflict")
    assert "alice" in error["message"]
    assert error["details"]["holder"] == "alice"


async def test_a_holder_whose_lease_was_swept_cannot_complete(
    http: httpx.AsyncClient, world: World, hub: Hub, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    clock.advance(task["lease_seconds"] + 1)
    swept = await hub.claims.sweep_expired_leases()
    assert task["id"] in swept.returned
    response = await http.post(f"{API}/tasks/{task['id']}/complete", json={"attempt": 1}, headers=auth(builder.key))
    error_of(response, 409, "conflict")
    assert (await ok(http, "GET", f"/tasks/{task['id']}", builder.key))["status"] == "ready"


async def test_a_stale_attempt_is_fenced_off_after_the_task_is_claimed_again(
    http: httpx.AsyncClient, world: World, hub: Hub, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    clock.advance(task["lease_seconds"] + 1)
    await hub.claims.sweep_expired_leases()
    again = await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    assert again["attempt"] == 2
    stale = await http.post(f"{API}/tasks/{task['id']}/heartbeat", json={"attempt": 1}, headers=auth(builder.key))
    assert error_of(stale, 409, "conflict")["details"]["current_attempt"] == 2


async def test_repeating_a_create_with_the_same_idempotency_key_returns_the_first_task(
    http: httpx.AsyncClient, world: World
) -> None:
    body = {"title": "once", "idempotency_key": "create-once"}
    first = await new_task(http, world.admin_key, world.team.id, **body)
    second = await new_task(http, world.admin_key, world.team.id, **body)
    assert second["id"] == first["id"]
    different = await http.post(
        f"{API}/teams/{world.team.id}/tasks", json={**body, "title": "twice"}, headers=auth(world.admin_key)
    )
    error_of(different, 409, "conflict")
    listed = await ok(http, "GET", f"/teams/{world.team.id}/tasks", world.admin_key)
    assert [t["title"] for t in listed["items"]] == ["once"]


async def test_the_idempotency_key_header_deduplicates_a_batch(http: httpx.AsyncClient, world: World) -> None:
    path = f"{API}/teams/{world.team.id}/tasks/batch"
    headers = {**auth(world.admin_key), "Idempotency-Key": "batch-1"}
    body = {"tasks": [{"title": "a"}, {"title": "b"}]}
    first = await http.post(path, json=body, headers=headers)
    second = await http.post(path, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert [t["id"] for t in second.json()["tasks"]] == [t["id"] for t in first.json()["tasks"]]
    changed = await http.post(path, json={"tasks": [{"title": "c"}]}, headers=headers)
    error_of(changed, 409, "conflict")


# -- 422 ----------------------------------------------------------------------------------------------------------


async def test_an_unknown_target_is_refused_with_422(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(
        f"{API}/teams/{world.team.id}/tasks", json={"title": "t", "target": "nobody"}, headers=auth(world.admin_key)
    )
    assert error_of(response, 422, "invalid_input")["details"]["target"] == "nobody"


async def test_an_unknown_dependency_is_refused_with_422(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(
        f"{API}/teams/{world.team.id}/tasks", json={"title": "t", "depends_on": [987654]}, headers=auth(world.admin_key)
    )
    assert error_of(response, 422, "invalid_input")["details"]["unknown"] == [987654]


async def test_a_cycle_in_a_batch_is_refused_with_422_and_creates_nothing(
    http: httpx.AsyncClient, world: World
) -> None:
    body = {
        "tasks": [
            {"title": "a", "ref": "a", "depends_on": ["b"]},
            {"title": "b", "ref": "b", "depends_on": ["a"]},
        ]
    }
    response = await http.post(f"{API}/teams/{world.team.id}/tasks/batch", json=body, headers=auth(world.admin_key))
    assert "cycle" in error_of(response, 422, "invalid_input")["message"]
    assert (await ok(http, "GET", f"/teams/{world.team.id}/tasks", world.admin_key))["items"] == []


async def test_an_unknown_status_is_refused_with_422(http: httpx.AsyncClient, world: World) -> None:
    response = await http.get(
        f"{API}/teams/{world.team.id}/tasks", params={"status": "sleeping"}, headers=auth(world.admin_key)
    )
    assert error_of(response, 422, "invalid_input")["details"]["status"] == "sleeping"


async def test_an_unknown_completed_status_is_refused_with_422_and_changes_nothing(
    http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    response = await http.post(
        f"{API}/tasks/{task['id']}/complete", json={"status": "MAYBE"}, headers=auth(builder.key)
    )
    error_of(response, 422, "invalid_input")
    assert (await ok(http, "GET", f"/tasks/{task['id']}", builder.key))["status"] == "claimed"


async def test_an_unknown_priority_is_refused_with_422(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(
        f"{API}/teams/{world.team.id}/tasks", json={"title": "t", "priority": "urgent"}, headers=auth(world.admin_key)
    )
    error_of(response, 422, "invalid_input")


async def test_an_unknown_field_is_refused_with_422_naming_it(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(
        f"{API}/teams/{world.team.id}/tasks", json={"title": "t", "colour": "red"}, headers=auth(world.admin_key)
    )
    error = error_of(response, 422, "invalid_input")
    assert [p["field"] for p in error["details"]["problems"]] == ["colour"]


# -- 413 ----------------------------------------------------------------------------------------------------------


async def test_a_title_over_500_characters_is_refused_with_413(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(
        f"{API}/teams/{world.team.id}/tasks", json={"title": "x" * 501}, headers=auth(world.admin_key)
    )
    error = error_of(response, 413, "too_large")
    assert error["details"] == {"field": "title", "limit": 500, "size": 501}


async def test_instructions_over_64_kib_are_refused_with_413(http: httpx.AsyncClient, world: World) -> None:
    body = {"title": "t", "description": "x" * (64 * 1024 + 1)}
    response = await http.post(f"{API}/teams/{world.team.id}/tasks", json=body, headers=auth(world.admin_key))
    assert error_of(response, 413, "too_large")["details"]["field"] == "instructions"


async def test_a_request_body_over_2_mib_is_refused_with_413(http: httpx.AsyncClient, world: World) -> None:
    body = {"tasks": [{"title": "t", "instructions": "x" * 60_000} for _ in range(40)]}
    response = await http.post(f"{API}/teams/{world.team.id}/tasks/batch", json=body, headers=auth(world.admin_key))
    error_of(response, 413, "too_large")
    assert (await ok(http, "GET", f"/teams/{world.team.id}/tasks", world.admin_key))["items"] == []


# -- 429 ----------------------------------------------------------------------------------------------------------


async def test_a_key_over_its_rate_limit_gets_429_with_retry_after(settings: Settings, clock: FakeClock) -> None:
    slow = settings.with_overrides(rate_per_second=0.001, rate_burst=2)
    async with running_hub(slow, clock=clock) as hub:
        app = create_app(hub, periodic=False)
        transport = httpx.ASGITransport(app=app)
        async with app.running(), httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            key = hub.settings.admin_key_file.read_text().strip()
            for _ in range(2):
                assert (await http.get(f"{API}/keys", headers=auth(key))).status_code == 200
            response = await http.get(f"{API}/keys", headers=auth(key))
    error_of(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


async def test_a_created_task_needs_only_a_title(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(f"{API}/teams/{world.team.id}/tasks", json={}, headers=auth(world.admin_key))
    assert [p["field"] for p in error_of(response, 422, "invalid_input")["details"]["problems"]] == ["title"]
    assert (await created(http, f"/teams/{world.team.id}/tasks", world.admin_key, {"title": "t"}))["title"] == "t"


async def test_ids_past_the_databases_integer_range_are_refused_not_crashed_on(
    http: httpx.AsyncClient, world: World
) -> None:
    huge = 2**31
    headers = auth(world.admin_key)
    error_of(await http.get(f"{API}/tasks/{huge}", headers=headers), 422, "invalid_input")
    listed = await http.get(f"{API}/teams/{world.team.id}/tasks", params={"parent_id": huge}, headers=headers)
    error_of(listed, 422, "invalid_input")
    tasks = f"{API}/teams/{world.team.id}/tasks"
    error_of(await http.post(tasks, json={"title": "t", "depends_on": [huge]}, headers=headers), 422, "invalid_input")
    error_of(await http.post(tasks, json={"title": "t", "target": str(huge)}, headers=headers), 422, "invalid_input")
    key = await http.post(f"{API}/teams/{world.team.id}/keys", json={"program_id": huge}, headers=headers)
    error_of(key, 404, "not_found")


async def test_values_wider_than_their_columns_are_refused_with_413(http: httpx.AsyncClient, world: World) -> None:
    headers = auth(world.admin_key)
    task = await http.post(
        f"{API}/teams/{world.team.id}/tasks", json={"title": "t", "task_type": "x" * 51}, headers=headers
    )
    assert error_of(task, 413, "too_large")["details"]["field"] == "task_type"
    agent = await http.post(
        f"{API}/teams/{world.team.id}/agents", json={"name": "wide", "model": "m" * 201}, headers=headers
    )
    assert error_of(agent, 413, "too_large")["details"]["field"] == "model"
    role = await http.post(
        f"{API}/teams/{world.team.id}/agents", json={"name": "wide", "role": "r" * 51}, headers=headers
    )
    error_of(role, 422, "invalid_input")


async def test_usage_beyond_any_real_report_is_refused_with_422(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    response = await http.post(
        f"{API}/tasks/{task['id']}/complete", json={"tokens_in": 2**63}, headers=auth(builder.key)
    )
    error_of(response, 422, "invalid_input")
    assert (await ok(http, "GET", f"/tasks/{task['id']}", builder.key))["status"] == "claimed"
