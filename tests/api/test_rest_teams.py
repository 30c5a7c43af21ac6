import secrets

import httpx

from tests.api.rest_helpers import API, created, error_of, ok
from tests.conftest import FakeClock, World, auth


async def test_an_admin_creates_an_org_and_gets_a_working_admin_key_for_it(
    http: httpx.AsyncClient, world: World
) -> None:
    slug = f"acme-{secrets.token_hex(3)}"
    answer = await created(http, "/orgs", world.admin_key, {"name": "Acme", "slug": slug})
    assert answer["org"]["slug"] == slug
    new_key = answer["admin_key"]["key"]
    me = await ok(http, "GET", "/whoami", new_key)
    assert me["kind"] == "admin"
    assert me["org_id"] == answer["org"]["id"] != world.admin.org_id


async def test_an_agent_key_may_not_create_orgs(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    response = await http.post(f"{API}/orgs", json={"name": "Rogue"}, headers=auth(builder.key))
    error_of(response, 403, "forbidden")


async def test_listing_orgs_shows_only_the_callers_org(http: httpx.AsyncClient, world: World) -> None:
    await created(http, "/orgs", world.admin_key, {"name": "Elsewhere", "slug": f"else-{secrets.token_hex(3)}"})
    orgs = (await ok(http, "GET", "/orgs", world.admin_key))["orgs"]
    assert [o["id"] for o in orgs] == [world.admin.org_id]
    one = await ok(http, "GET", f"/orgs/{world.admin.org_id}", world.admin_key)
    assert one["id"] == world.admin.org_id


async def test_another_org_is_not_found(http: httpx.AsyncClient, world: World) -> None:
    other = await created(http, "/orgs", world.admin_key, {"name": "Other", "slug": f"other-{secrets.token_hex(3)}"})
    response = await http.get(f"{API}/orgs/{other['org']['id']}", headers=auth(world.admin_key))
    error_of(response, 404, "not_found")


async def test_creating_a_team_answers_201_with_its_manager(http: httpx.AsyncClient, world: World) -> None:
    slug = f"platform-{secrets.token_hex(3)}"
    team = await created(http, f"/orgs/{world.admin.org_id}/teams", world.admin_key, {"name": "Platform", "slug": slug})
    assert team["slug"] == slug
    assert team["manager"]["name"] == "manager"
    assert team["manager"]["role"] == "manager"
    assert team["manager"]["team_id"] == team["id"]
    listed = (await ok(http, "GET", f"/orgs/{world.admin.org_id}/teams", world.admin_key))["teams"]
    assert team["id"] in [t["id"] for t in listed]
    assert (await ok(http, "GET", f"/teams/{team['id']}", world.admin_key))["name"] == "Platform"


async def test_a_taken_team_slug_is_a_conflict(http: httpx.AsyncClient, world: World) -> None:
    body = {"name": "Twice", "slug": f"twice-{secrets.token_hex(3)}"}
    await created(http, f"/orgs/{world.admin.org_id}/teams", world.admin_key, body)
    response = await http.post(f"{API}/orgs/{world.admin.org_id}/teams", json=body, headers=auth(world.admin_key))
    error_of(response, 409, "conflict")


async def test_an_agent_key_lists_only_its_own_team(http: httpx.AsyncClient, world: World) -> None:
    await world.other_team()
    builder = await world.agent("builder")
    teams = (await ok(http, "GET", f"/orgs/{world.admin.org_id}/teams", builder.key))["teams"]
    assert [t["id"] for t in teams] == [world.team.id]


async def test_a_manager_changes_only_the_settings_it_sends(http: httpx.AsyncClient, world: World) -> None:
    manager = await world.manager()
    path = f"/settings/teams/{world.team.id}"
    await ok(http, "PATCH", path, manager.key, json={"lease_seconds": 600})
    await ok(http, "PATCH", path, manager.key, json={"max_attempts": 5})
    settings = (await ok(http, "GET", path, manager.key))["settings"]
    assert settings["lease_seconds"] == 600
    assert settings["max_attempts"] == 5
    assert settings["daily_cost_limit_usd"] is None


async def test_an_out_of_range_or_unknown_setting_is_refused_with_422(http: httpx.AsyncClient, world: World) -> None:
    path = f"{API}/settings/teams/{world.team.id}"
    too_short = await http.patch(path, json={"lease_seconds": 1}, headers=auth(world.admin_key))
    error_of(too_short, 422, "invalid_input")
    unknown = await http.patch(path, json={"colour": "blue"}, headers=auth(world.admin_key))
    error_of(unknown, 422, "invalid_input")
    settings = (await ok(http, "GET", f"/settings/teams/{world.team.id}", world.admin_key))["settings"]
    assert settings["lease_seconds"] == 1800


async def test_an_engineer_may_not_change_team_settings(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    response = await http.patch(
        f"{API}/settings/teams/{world.team.id}", json={"max_attempts": 9}, headers=auth(builder.key)
    )
    error_of(response, 403, "forbidden")


async def test_a_manager_adds_an_agent_that_then_appears_in_the_team(http: httpx.AsyncClient, world: World) -> None:
    manager = await world.manager()
    agent = await created(
        http,
        f"/teams/{world.team.id}/agents",
        manager.key,
        {"name": "reviewer-1", "role": "reviewer", "model": "m-1", "description": "reads diffs"},
    )
    assert agent["groups"] == ["council"]
    assert (await ok(http, "GET", f"/agents/{agent['id']}", manager.key))["description"] == "reads diffs"
    agents = (await ok(http, "GET", f"/teams/{world.team.id}/agents", manager.key))["agents"]
    shown = {a["name"]: a for a in agents}
    assert shown["reviewer-1"]["status"] == "offline"
    assert shown["reviewer-1"]["active_task_count"] == 0
    assert "manager" in shown


async def test_adding_an_agent_whose_name_is_taken_is_a_conflict(http: httpx.AsyncClient, world: World) -> None:
    await world.agent("builder")
    response = await http.post(
        f"{API}/teams/{world.team.id}/agents", json={"name": "builder"}, headers=auth(world.admin_key)
    )
    error_of(response, 409, "conflict")


async def test_an_engineer_may_not_add_agents(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    response = await http.post(
        f"{API}/teams/{world.team.id}/agents", json={"name": "sidekick"}, headers=auth(builder.key)
    )
    error_of(response, 403, "forbidden")


async def test_groups_list_everyone_under_all_and_members_of_each(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    groups = (await ok(http, "GET", f"/teams/{world.team.id}/groups", builder.key))["groups"]
    by_name = {g["name"]: g["members"] for g in groups}
    assert {"all", "council", "builders", "intelligence"} <= set(by_name)
    assert by_name["all"] == ["builder", "manager"]
    assert by_name["builders"] == ["builder"]


async def test_a_key_for_a_new_program_id_creates_the_agent(http: httpx.AsyncClient, world: World) -> None:
    issued = await created(
        http, f"/teams/{world.team.id}/keys", world.admin_key, {"programId": "scout", "role": "researcher"}
    )
    assert issued["program_id"] == "scout"
    assert issued["agent"]["role"] == "researcher"
    me = await ok(http, "GET", "/whoami", issued["key"])
    assert me["name"] == "scout"


async def test_a_key_for_an_existing_agent_id_reuses_the_agent(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    issued = await created(http, f"/teams/{world.team.id}/keys", world.admin_key, {"agent_id": builder.id})
    assert issued["agent_id"] == builder.id
    assert (await ok(http, "GET", "/whoami", issued["key"]))["name"] == "builder"


async def test_an_engineer_may_not_create_keys(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    response = await http.post(
        f"{API}/teams/{world.team.id}/keys", json={"program_id": "builder"}, headers=auth(builder.key)
    )
    error_of(response, 403, "forbidden")


async def test_keys_are_listed_without_plaintext_and_an_agent_sees_only_its_own(
    http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    await world.agent("tester")
    team_keys = (await ok(http, "GET", f"/teams/{world.team.id}/keys", world.admin_key))["keys"]
    assert len(team_keys) == 2
    assert all("key" not in k for k in team_keys)
    own = (await ok(http, "GET", "/keys", builder.key))["keys"]
    assert [k["agent_id"] for k in own] == [builder.id]


async def test_an_admin_issues_another_admin_key_for_its_org(http: httpx.AsyncClient, world: World) -> None:
    issued = await created(http, f"/orgs/{world.admin.org_id}/keys", world.admin_key, {"label": "ops"})
    assert issued["kind"] == "admin"
    assert (await ok(http, "GET", "/whoami", issued["key"]))["org_id"] == world.admin.org_id


async def test_an_admin_key_for_another_org_is_not_found(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(
        f"{API}/orgs/{world.admin.org_id + 1000}/keys", json={"label": "x"}, headers=auth(world.admin_key)
    )
    error_of(response, 404, "not_found")


async def test_a_revoked_key_is_refused_with_401(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    revoked = await ok(http, "POST", f"/keys/{builder.principal.key_id}/revoke", world.admin_key)
    assert revoked["revoked_at"] is not None
    response = await http.get(f"{API}/whoami", headers=auth(builder.key))
    assert "revoked" in error_of(response, 401, "unauthorized")["message"]


async def test_deleting_a_key_revokes_it(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    deleted = await ok(http, "DELETE", f"/keys/{builder.principal.key_id}", world.admin_key)
    assert deleted["id"] == builder.principal.key_id
    error_of(await http.get(f"{API}/whoami", headers=auth(builder.key)), 401, "unauthorized")


async def test_an_expired_key_is_refused_with_401(http: httpx.AsyncClient, world: World, clock: FakeClock) -> None:
    expires = clock.now.replace(microsecond=0).isoformat()
    clock.advance(-3600)
    issued = await created(
        http, f"/teams/{world.team.id}/keys", world.admin_key, {"program_id": "temp", "expires_at": expires}
    )
    assert (await ok(http, "GET", "/whoami", issued["key"]))["name"] == "temp"
    clock.advance(3601)
    response = await http.get(f"{API}/whoami", headers=auth(issued["key"]))
    assert "expired" in error_of(response, 401, "unauthorized")["message"]


async def test_a_naive_expiry_time_is_refused_with_422(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(
        f"{API}/teams/{world.team.id}/keys",
        json={"program_id": "temp", "expires_at": "2099-01-01T00:00:00"},
        headers=auth(world.admin_key),
    )
    error_of(response, 422, "invalid_input")
