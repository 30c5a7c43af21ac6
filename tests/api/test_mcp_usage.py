"""Usage, budgets, settings and sessions through the MCP SDK's client."""

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import FakeClock, World


async def test_an_agent_reports_usage_and_reads_the_cost_summary(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "t"})
        entry = await call(
            client,
            "report_usage",
            {"tokensIn": 100, "tokensOut": 10, "costUsd": 0.75, "model": "opus", "taskId": task["id"]},
        )
        summary = await call(client, "get_cost_summary", {"days": 2})
        fetched = await call(client, "get_task", {"task_id": task["id"]})
    assert (entry["agent"], entry["task_id"], entry["cost_usd"]) == ("builder", task["id"], 0.75)
    assert summary["totals"]["cost_usd"] == 0.75 and len(summary["by_day"]) == 2
    assert summary["by_agent"][0]["agent"] == "builder"
    assert fetched["usage"]["tokens_in"] == 100


async def test_claims_over_the_budget_and_at_the_cap_are_refused_naming_the_limit(app: HubApp, world: World) -> None:
    builder, helper = await world.agent("builder"), await world.agent("helper")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        first = await call(client, "create_task", {"title": "one"})
        second = await call(client, "create_task", {"title": "two"})
        settings = await call(client, "update_team_settings", {"max_concurrent_agents": 1})
    assert settings["settings"]["max_concurrent_agents"] == 1
    async with mcp_client(app, builder.key) as client:
        await call(client, "claim_task", {"task_id": first["id"]})
    async with mcp_client(app, helper.key) as client:
        capped = await refused(client, "claim_task", {"taskId": second["id"]})
        capped_next = await refused(client, "claim_next")
    assert capped["code"] == capped_next["code"] == "limit_exceeded"
    assert capped["details"]["limit"] == "max_concurrent_agents"

    async with mcp_client(app, manager.key) as client:
        await call(client, "update_team_settings", {"daily_cost_limit_usd": 1.0, "clear": ["max_concurrent_agents"]})
    async with mcp_client(app, builder.key) as client:
        await call(client, "report_usage", {"cost_usd": 1.5})
    async with mcp_client(app, helper.key) as client:
        over = await refused(client, "claim_task", {"task_id": second["id"]})
        over_next = await refused(client, "claim_next")
        task = await call(client, "get_task", {"task_id": second["id"]})
    assert over["details"] == over_next["details"] == {"limit": "daily_cost_limit_usd", "value": 1.0, "current": 1.5}
    assert "daily cost limit" in over["message"]
    assert (task["status"], task["holder"]) == ("ready", None)


async def test_only_stewards_see_and_use_update_team_settings(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, builder.key) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        read = await call(client, "get_team_settings")
        denied = await refused(client, "update_team_settings", {"daily_cost_limit_usd": 5})
    assert "update_team_settings" not in tools and "get_team_settings" in tools
    assert read["settings"]["offline_after_seconds"] == 600
    assert read["settings"]["session_timeout_seconds"] == 3600
    assert denied["code"] == "forbidden"
    async with mcp_client(app, manager.key) as client:
        assert "update_team_settings" in {t.name for t in (await client.list_tools()).tools}
        bad = await refused(client, "update_team_settings", {"offline_after_seconds": 5})
    assert bad["code"] == "invalid_input"


async def test_sessions_and_heartbeats_show_who_is_working(app: HubApp, world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        session = await call(
            client,
            "update_session",
            {"sessionId": "builder-session-1", "status": "running", "progress": 30, "state": {"branch": "auth"}},
        )
        listed = await call(client, "list_sessions")
        clock.advance(3601)
        alive = await call(client, "heartbeat")
        await world.hub.sessions.close_silent()
        after = await call(client, "list_sessions", {"includeEnded": True})
        agents = await call(client, "list_team_agents")
    assert (session["session_id"], session["progress"], session["state"]) == (
        "builder-session-1",
        30,
        {"branch": "auth"},
    )
    assert [(s["agent"], s["status"]) for s in listed["sessions"]] == [("builder", "running")]
    assert (alive["agent"], alive["status"], alive["last_seen_at"]) == ("builder", "idle", clock.now.isoformat())
    assert [s["status"] for s in after["sessions"]] == ["closed"]
    assert {a["name"]: a["status"] for a in agents["agents"]}["builder"] == "idle"


async def test_an_admin_may_not_report_usage_or_keep_a_session(app: HubApp, world: World) -> None:
    async with mcp_client(app, world.admin_key) as client:
        assert (await refused(client, "report_usage", {"cost_usd": 1.0}))["code"] == "forbidden"
        assert (await refused(client, "update_session", {"session_id": "x"}))["code"] == "forbidden"
        assert (await refused(client, "heartbeat"))["code"] == "forbidden"
