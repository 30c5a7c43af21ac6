"""Usage, budgets, settings and sessions over REST."""

import httpx

from tests.api.rest_helpers import API, created, error_of, new_task, ok
from tests.conftest import FakeClock, World, auth


async def test_the_seeds_budget_patch_works_as_written_and_get_shows_every_setting(
    http: httpx.AsyncClient, world: World
) -> None:
    manager = await world.manager()
    response = await http.patch(
        f"{API}/settings/teams/{world.team.id}",
        content='{"daily_cost_limit_usd": 10.00, "max_concurrent_agents": 3}',
        headers={"Content-Type": "application/json", **auth(manager.key)},
    )
    assert response.status_code == 200, response.text
    settings = (await ok(http, "GET", f"/settings/teams/{world.team.id}", manager.key))["settings"]
    assert settings == {
        "lease_seconds": 1800,
        "max_attempts": 3,
        "daily_cost_limit_usd": 10.0,
        "max_concurrent_agents": 3,
        "default_model": None,
        "offline_after_seconds": 600,
        "session_timeout_seconds": 3600,
        "managers_answer_questions": False,
    }


async def test_usage_reported_over_rest_lands_in_the_ledger_and_summary(http: httpx.AsyncClient, world: World) -> None:
    builder, helper = await world.agent("builder"), await world.agent("helper")
    task = await new_task(http, builder.key, world.team.id)
    await created(
        http, f"/teams/{world.team.id}/usage", builder.key, {"tokens_in": 10, "cost_usd": 1.25, "task_id": task["id"]}
    )
    await created(http, "/usage", helper.key, {"tokens_out": 5, "cost_usd": 0.5, "model": "haiku"})
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    await ok(http, "POST", f"/tasks/{task['id']}/complete", builder.key, json={"tokens_in": 1, "cost_usd": 0.25})

    ledger = await ok(http, "GET", f"/teams/{world.team.id}/usage", helper.key, params={"task_id": task["id"]})
    assert [(r["source"], r["cost_usd"]) for r in ledger["items"]] == [("complete_task", 0.25), ("report", 1.25)]
    by_helper = await ok(http, "GET", f"/teams/{world.team.id}/usage", helper.key, params={"agent": "helper"})
    assert [r["model"] for r in by_helper["items"]] == ["haiku"]
    summary = await ok(http, "GET", f"/teams/{world.team.id}/usage/summary", helper.key, params={"days": 1})
    assert summary["totals"]["cost_usd"] == 2.0
    assert {a["agent"]: a["cost_usd"] for a in summary["by_agent"]} == {"builder": 1.5, "helper": 0.5}
    assert (await ok(http, "GET", f"/tasks/{task['id']}", builder.key))["usage"]["cost_usd"] == 1.5


async def test_claims_are_refused_with_409_naming_the_limit(http: httpx.AsyncClient, world: World) -> None:
    manager = await world.manager()
    builder, helper = await world.agent("builder"), await world.agent("helper")
    first = await new_task(http, manager.key, world.team.id, "one")
    second = await new_task(http, manager.key, world.team.id, "two")
    await ok(http, "PATCH", f"/settings/teams/{world.team.id}", manager.key, json={"max_concurrent_agents": 1})
    await ok(http, "POST", f"/tasks/{first['id']}/claim", builder.key)

    capped = error_of(
        await http.post(f"{API}/tasks/{second['id']}/claim", headers=auth(helper.key)), 409, "limit_exceeded"
    )
    assert capped["details"] == {"limit": "max_concurrent_agents", "value": 1, "current": 1}
    path = f"{API}/teams/{world.team.id}/tasks/claim-next"
    error_of(await http.post(path, headers=auth(helper.key)), 409, "limit_exceeded")
    assert (await ok(http, "POST", f"/tasks/{second['id']}/claim", builder.key))["holder"] == "builder"

    third = await new_task(http, manager.key, world.team.id, "three")
    await ok(
        http,
        "PATCH",
        f"/settings/teams/{world.team.id}",
        manager.key,
        json={"max_concurrent_agents": None, "daily_cost_limit_usd": 2},
    )
    await created(http, "/usage", builder.key, {"cost_usd": 2.5})
    over = error_of(
        await http.post(f"{API}/tasks/{third['id']}/claim", headers=auth(helper.key)), 409, "limit_exceeded"
    )
    assert "spent $2.50 of $2.00 today (daily_cost_limit_usd)" in over["message"]
    error_of(await http.post(path, headers=auth(helper.key)), 409, "limit_exceeded")
    assert (await ok(http, "GET", f"/tasks/{third['id']}", helper.key))["status"] == "ready"


async def test_sessions_over_rest_and_the_heartbeat_without_a_task(
    http: httpx.AsyncClient, world: World, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    session = await ok(http, "PUT", "/sessions/build-1", builder.key, json={"status": "running", "progress": 25})
    assert (session["agent"], session["status"], session["progress"]) == ("builder", "running", 25)
    listed = await ok(http, "GET", f"/teams/{world.team.id}/sessions", world.admin_key)
    assert [s["session_id"] for s in listed["sessions"]] == ["build-1"]
    await ok(http, "PUT", "/sessions/build-1", builder.key, json={"status": "done"})
    assert (await ok(http, "GET", f"/teams/{world.team.id}/sessions", builder.key))["sessions"] == []
    clock.advance(900)
    beat = await ok(http, "POST", "/agents/me/heartbeat", builder.key)
    assert (beat["status"], beat["last_seen_at"]) == ("idle", clock.now.isoformat())


async def test_refusals_over_rest_have_the_error_shape(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    other = await world.other_team()
    bad = await http.post(f"{API}/usage", json={"cost_usd": -1}, headers=auth(builder.key))
    error_of(bad, 422, "invalid_input")
    foreign = await http.post(f"{API}/teams/{other.team.id}/usage", json={"cost_usd": 1}, headers=auth(builder.key))
    error_of(foreign, 404, "not_found")
    error_of(await http.get(f"{API}/teams/{other.team.id}/usage/summary", headers=auth(builder.key)), 404, "not_found")
    admin = await http.post(f"{API}/usage", json={"cost_usd": 1}, headers=auth(world.admin_key))
    error_of(admin, 403, "forbidden")
    error_of(
        await http.put(f"{API}/sessions/s", json={"progress": 150}, headers=auth(builder.key)), 422, "invalid_input"
    )
    engineer = await http.patch(
        f"{API}/settings/teams/{world.team.id}", json={"daily_cost_limit_usd": 1}, headers=auth(builder.key)
    )
    error_of(engineer, 403, "forbidden")
    ledger = await ok(http, "GET", f"/teams/{world.team.id}/usage", world.admin_key)
    assert ledger["items"] == []
