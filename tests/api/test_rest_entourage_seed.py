"""The calls of Entourage's "Running a Multi-Agent Team", as written there plus an Authorization header."""

import secrets
from typing import Any

import httpx

from tests.api.rest_helpers import created, ok
from tests.conftest import World


async def fresh_org(http: httpx.AsyncClient, world: World) -> tuple[int, str]:
    """An org of its own, so the seed's fixed slug ("platform") is free on a shared database."""
    answer = await created(http, "/orgs", world.admin_key, {"name": "Seed", "slug": f"seed-{secrets.token_hex(4)}"})
    return answer["org"]["id"], answer["admin_key"]["key"]


async def platform_team(http: httpx.AsyncClient, world: World) -> tuple[dict[str, Any], str]:
    org_id, key = await fresh_org(http, world)
    team = await created(http, f"/orgs/{org_id}/teams", key, {"name": "Platform", "slug": "platform"})
    return team, key


async def add_engineer(http: httpx.AsyncClient, key: str, team_id: int, name: str, about: str) -> dict[str, Any]:
    body = {"name": name, "role": "engineer", "model": "claude-sonnet-4-20250514", "config": {"description": about}}
    return await created(http, f"/teams/{team_id}/agents", key, body)


async def test_the_seeds_team_comes_with_its_manager_and_takes_two_engineers(
    http: httpx.AsyncClient, world: World
) -> None:
    team, key = await platform_team(http, world)
    assert (team["name"], team["slug"]) == ("Platform", "platform")
    backend = await add_engineer(http, key, team["id"], "eng-backend", "Backend specialist — Python, APIs, databases")
    await add_engineer(http, key, team["id"], "eng-frontend", "Frontend specialist — React, TypeScript, UI")
    assert backend["description"] == "Backend specialist — Python, APIs, databases"
    assert backend["model"] == "claude-sonnet-4-20250514"
    agents = (await ok(http, "GET", f"/teams/{team['id']}/agents", key))["agents"]
    assert [(a["name"], a["role"]) for a in agents] == [
        ("manager", "manager"),
        ("eng-backend", "engineer"),
        ("eng-frontend", "engineer"),
    ]
    assert {a["status"] for a in agents} <= {"idle", "busy", "offline"}


async def test_the_seeds_task_breakdown_blocks_the_frontend_until_the_backend_is_done(
    http: httpx.AsyncClient, world: World
) -> None:
    team, key = await platform_team(http, world)
    tasks = f"/teams/{team['id']}/tasks"
    feature = await created(
        http,
        tasks,
        key,
        {
            "title": "Add user profile page",
            "description": "Users should be able to view and edit their profile (name, email, avatar). "
            "Needs API endpoint + React page.",
            "priority": "high",
            "task_type": "feature",
        },
    )
    backend = await created(
        http,
        tasks,
        key,
        {
            "title": "Create GET/PATCH /api/v1/users/me endpoint",
            "description": "Return current user profile. PATCH to update name and avatar_url.",
            "priority": "high",
            "task_type": "feature",
        },
    )
    frontend = await created(
        http,
        tasks,
        key,
        {
            "title": "Build profile page component in React",
            "description": "Form with name, email (read-only), avatar. Calls PATCH /api/v1/users/me on save.",
            "priority": "high",
            "task_type": "feature",
            "depends_on": [str(backend["id"])],
        },
    )
    assert feature["instructions"].startswith("Users should be able")
    assert (feature["priority"], feature["task_type"], feature["status"]) == ("high", "feature", "ready")
    assert frontend["status"] == "blocked"
    assert frontend["depends_on"] == [backend["id"]]

    engineer = await created(http, f"/teams/{team['id']}/keys", key, {"program_id": "eng-backend"})
    await ok(http, "POST", f"/tasks/{backend['id']}/claim", engineer["key"])
    await ok(http, "POST", f"/tasks/{backend['id']}/complete", engineer["key"], json={"status": "SUCCESS"})
    assert (await ok(http, "GET", f"/tasks/{frontend['id']}", key))["status"] == "ready"


async def test_the_seeds_batch_assigns_by_agent_id_and_wires_dependencies(
    http: httpx.AsyncClient, world: World
) -> None:
    team, key = await platform_team(http, world)
    backend = await add_engineer(http, key, team["id"], "eng-backend", "Backend")
    frontend = await add_engineer(http, key, team["id"], "eng-frontend", "Frontend")
    task_1 = await created(http, f"/teams/{team['id']}/tasks", key, {"title": "Design notification schema"})
    task_2 = await created(http, f"/teams/{team['id']}/tasks", key, {"title": "Agree on payloads"})
    body = {
        "tasks": [
            {
                "title": "Create database migration for notifications table",
                "priority": "high",
                "task_type": "feature",
                "assignee_id": str(backend["id"]),
            },
            {
                "title": "Build notification API endpoints",
                "priority": "high",
                "task_type": "feature",
                "assignee_id": str(backend["id"]),
                "depends_on": [str(task_1["id"])],
            },
            {
                "title": "Build notification bell UI component",
                "priority": "medium",
                "task_type": "feature",
                "assignee_id": str(frontend["id"]),
                "depends_on": [str(task_2["id"])],
            },
        ]
    }
    made = (await created(http, f"/teams/{team['id']}/tasks/batch", key, body))["tasks"]
    assert [t["target"] for t in made] == ["eng-backend", "eng-backend", "eng-frontend"]
    assert [t["priority"] for t in made] == ["high", "high", "normal"]
    assert [t["status"] for t in made] == ["ready", "blocked", "blocked"]
    assert [t["depends_on"] for t in made] == [[], [task_1["id"]], [task_2["id"]]]


async def test_the_seeds_budget_limits_are_set_on_the_team(http: httpx.AsyncClient, world: World) -> None:
    team, key = await platform_team(http, world)
    answer = await ok(
        http,
        "PATCH",
        f"/settings/teams/{team['id']}",
        key,
        json={"daily_cost_limit_usd": 10.00, "max_concurrent_agents": 3},
    )
    assert answer["settings"]["daily_cost_limit_usd"] == 10.0
    assert answer["settings"]["max_concurrent_agents"] == 3
    again = await ok(http, "GET", f"/settings/teams/{team['id']}", key)
    assert again["settings"] == answer["settings"]
