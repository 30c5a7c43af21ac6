"""Both seed documents' task flows, run against a live hub.

    switchboard serve &
    python examples/walkthrough.py --url http://127.0.0.1:8000 --key "$(cat .data/admin.key)"

1. Entourage, over REST: a Platform team with eng-backend and eng-frontend; a feature broken into sub-tasks
   where the frontend task waits for the backend task; a batch wired with assignee_id and depends_on; the
   engineers claim and complete their work, and the dependency order holds throughout.
2. CacheBash, over MCP (Streamable HTTP at /v1/mcp): the manager issues keys for `architect` and `builder`;
   the architect creates a task for the builder, who finds it with get_tasks, claims and completes it.

The key must be an admin key: the walkthrough creates teams. Each step is printed as it happens.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from switchboard.client import HubClient, HubRefused

Say = Callable[[str], None]


class WalkthroughFailed(AssertionError):
    """The hub did something the seed documents say it must not."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise WalkthroughFailed(message)


# -- Entourage: "Running a Multi-Agent Team" over REST ----------------------------------------------------------


def entourage(admin: HubClient, say: Say = print, slug: str = "platform") -> dict[str, Any]:
    """Returns the team, the agents and every task created, by name."""
    org_id = admin.get("/orgs")["orgs"][0]["id"]
    team = admin.post(f"/orgs/{org_id}/teams", {"name": "Platform", "slug": slug})
    team_id = team["id"]
    say(f"created team {team['name']} (id {team_id}); its manager was created with it")

    backend = admin.post(
        f"/teams/{team_id}/agents",
        {
            "name": "eng-backend",
            "role": "engineer",
            "model": "claude-sonnet-4-20250514",
            "config": {"description": "Backend specialist — Python, APIs, databases"},
        },
    )
    frontend = admin.post(
        f"/teams/{team_id}/agents",
        {
            "name": "eng-frontend",
            "role": "engineer",
            "model": "claude-sonnet-4-20250514",
            "config": {"description": "Frontend specialist — React, TypeScript, UI"},
        },
    )
    say(f"added {backend['name']} (id {backend['id']}) and {frontend['name']} (id {frontend['id']})")

    keys = {name: _agent_key(admin, team_id, name) for name in ("manager", "eng-backend", "eng-frontend")}
    manager, eng_backend, eng_frontend = (
        HubClient(admin.url, keys[name]) for name in ("manager", "eng-backend", "eng-frontend")
    )
    try:
        tasks = _profile_page(manager, eng_backend, eng_frontend, team_id, say)
        tasks.update(_notifications(manager, eng_backend, eng_frontend, team_id, backend["id"], frontend["id"], say))
        roster = manager.get(f"/teams/{team_id}/agents")["agents"]
        say("team now: " + ", ".join(f"{a['name']} ({a['role']}, {a['status']})" for a in roster))
    finally:
        for client in (manager, eng_backend, eng_frontend):
            client.close()
    return {"team": team, "agents": {a["name"]: a for a in roster}, "tasks": tasks}


def _agent_key(admin: HubClient, team_id: int, name: str) -> str:
    key: str = admin.post(f"/teams/{team_id}/keys", {"program_id": name, "label": f"{name} (walkthrough)"})["key"]
    return key


def _profile_page(
    manager: HubClient, backend: HubClient, frontend: HubClient, team_id: int, say: Say
) -> dict[str, Any]:
    feature = manager.post(
        f"/teams/{team_id}/tasks",
        {
            "title": "Add user profile page",
            "description": "Users should be able to view and edit their profile (name, email, avatar). "
            "Needs API endpoint + React page.",
            "priority": "high",
            "task_type": "feature",
        },
    )
    api = manager.post(
        f"/teams/{team_id}/tasks",
        {
            "title": "Create GET/PATCH /api/v1/users/me endpoint",
            "description": "Return current user profile. PATCH to update name and avatar_url.",
            "priority": "high",
            "task_type": "feature",
        },
    )
    page = manager.post(
        f"/teams/{team_id}/tasks",
        {
            "title": "Build profile page component in React",
            "description": "Form with name, email (read-only), avatar. Calls PATCH /api/v1/users/me on save.",
            "priority": "high",
            "task_type": "feature",
            "depends_on": [api["id"]],
        },
    )
    say(f"manager: feature #{feature['id']}, API #{api['id']} ({api['status']}), page #{page['id']} ({page['status']})")
    expect(page["status"] == "blocked", f"the page task should wait for the API task, it is {page['status']}")

    backend.post(f"/tasks/{api['id']}/claim")
    say(f"eng-backend claimed #{api['id']}")
    _refused_while_blocked(frontend, page["id"], say)
    backend.post(f"/tasks/{api['id']}/complete", {"completed_status": "SUCCESS", "result": "GET/PATCH /users/me"})
    unblocked = frontend.get(f"/tasks/{page['id']}")
    say(f"eng-backend completed #{api['id']}; #{page['id']} is now {unblocked['status']}")
    expect(unblocked["status"] == "ready", f"#{page['id']} should be ready once #{api['id']} is done")
    frontend.post(f"/tasks/{page['id']}/claim")
    frontend.post(f"/tasks/{page['id']}/complete", {"completed_status": "SUCCESS", "result": "ProfilePage.tsx"})
    say(f"eng-frontend claimed and completed #{page['id']}")
    done = manager.post(f"/tasks/{feature['id']}/complete", {"completed_status": "SUCCESS", "result": "shipped"})
    say(f"manager marked the feature #{feature['id']} {done['status']}")
    return {"feature": done, "api": manager.get(f"/tasks/{api['id']}"), "page": manager.get(f"/tasks/{page['id']}")}


def _notifications(
    manager: HubClient,
    backend: HubClient,
    frontend: HubClient,
    team_id: int,
    backend_id: int,
    frontend_id: int,
    say: Say,
) -> dict[str, Any]:
    batch = manager.post(
        f"/teams/{team_id}/tasks/batch",
        {
            "tasks": [
                {
                    "ref": "migration",
                    "title": "Create database migration for notifications table",
                    "priority": "high",
                    "task_type": "feature",
                    "assignee_id": backend_id,
                },
                {
                    "ref": "endpoints",
                    "title": "Build notification API endpoints",
                    "priority": "high",
                    "task_type": "feature",
                    "assignee_id": backend_id,
                    "depends_on": ["migration"],
                },
                {
                    "title": "Build notification bell UI component",
                    "priority": "medium",
                    "task_type": "feature",
                    "assignee_id": frontend_id,
                    "depends_on": ["endpoints"],
                },
            ]
        },
    )
    migration, endpoints, bell = batch["tasks"]
    say("manager: batch " + ", ".join(f"#{t['id']} {t['status']}" for t in batch["tasks"]))

    order = []
    for task, engineer, name in ((migration, backend, "eng-backend"), (endpoints, backend, "eng-backend")):
        _refused_while_blocked(frontend, bell["id"], say)
        claimed = engineer.post(f"/teams/{team_id}/tasks/claim-next")["task"]
        expect(claimed is not None and claimed["id"] == task["id"], f"{name} should get #{task['id']}: {claimed}")
        engineer.post(f"/tasks/{task['id']}/complete", {"completed_status": "SUCCESS"})
        order.append(task["id"])
        say(f"{name} claimed and completed #{task['id']}")
    claimed = frontend.post(f"/teams/{team_id}/tasks/claim-next")["task"]
    expect(claimed is not None and claimed["id"] == bell["id"], f"eng-frontend should get #{bell['id']}: {claimed}")
    frontend.post(f"/tasks/{bell['id']}/complete", {"completed_status": "SUCCESS"})
    order.append(bell["id"])
    say(f"eng-frontend claimed and completed #{bell['id']}; done in order {order}")
    final = {
        name: manager.get(f"/tasks/{t['id']}")
        for name, t in zip(("migration", "endpoints", "bell"), batch["tasks"], strict=True)
    }
    return {**final, "completion_order": order}


def _refused_while_blocked(frontend: HubClient, task_id: int, say: Say) -> None:
    try:
        frontend.post(f"/tasks/{task_id}/claim")
    except HubRefused as exc:
        expect(exc.status == 409, f"a blocked task should be refused with 409, got {exc.status}")
        say(f"eng-frontend may not start #{task_id} yet: {exc.message}")
        return
    raise WalkthroughFailed(f"eng-frontend claimed #{task_id} before its dependencies were done")


# -- CacheBash: "Multi-Agent Workflows" over MCP ---------------------------------------------------------------


async def cachebash(admin: HubClient, say: Say = print, team_name: str | None = None) -> dict[str, Any]:
    """Returns the builder's completed task."""
    org_id = admin.get("/orgs")["orgs"][0]["id"]
    team = admin.post(f"/orgs/{org_id}/teams", {"name": team_name or f"CacheBash {secrets.token_hex(3)}"})
    manager_key = _agent_key(admin, team["id"], "manager")
    say(f"created team {team['name']} (id {team['id']}) and a key for its manager")

    async with mcp_session(admin.url, manager_key) as manager:
        builder_key = (await call(manager, "create_key", programId="builder", label="Builder Agent — Claude Code"))[
            "key"
        ]
        architect_key = (await call(manager, "create_key", programId="architect", label="Architect Agent"))["key"]
    say("manager: create_key for builder and architect (each key shown once)")

    async with mcp_session(admin.url, architect_key) as architect:
        task = await call(
            architect,
            "create_task",
            title="Add /api/users endpoint",
            target="builder",
            instructions="GET and POST handlers. Return user list and create user. Use Zod for validation.",
            priority="high",
        )
    say(f"architect: create_task #{task['id']} for builder ({task['status']}, {task['priority']})")

    async with mcp_session(admin.url, builder_key) as builder:
        waiting = (await call(builder, "get_tasks", target="builder", status="created"))["items"]
        say(f"builder: get_tasks found {[t['id'] for t in waiting]}")
        expect([t["id"] for t in waiting] == [task["id"]], f"the builder should see exactly #{task['id']}")
        claimed = await call(builder, "claim_task", taskId=task["id"])
        say(f"builder: claim_task #{claimed['id']} -> {claimed['status']}")
        done = await call(builder, "complete_task", taskId=task["id"], completed_status="SUCCESS")
        say(f"builder: complete_task #{done['id']} -> {done['status']}")
        left = (await call(builder, "get_tasks", target="builder", status="created"))["items"]
        expect(left == [], f"nothing should be waiting for the builder any more: {left}")
    return done


@asynccontextmanager
async def mcp_session(url: str, key: str) -> AsyncIterator[Client]:
    """An MCP client at <url>/v1/mcp, as the CacheBash seed's .mcp.json has it, sending the agent's key."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http,
        Client(streamable_http_client(f"{url}/v1/mcp", http_client=http)) as client,
    ):
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    payload = result.structured_content or {}
    if result.is_error:
        raise WalkthroughFailed(f"{tool} refused: {payload.get('error', payload)}")
    return payload


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the hub's base URL")
    parser.add_argument("--key", required=True, help="an admin key (the hub writes one to .data/admin.key)")
    parser.add_argument("--slug", default="platform", help="slug of the Entourage walkthrough's team")
    args = parser.parse_args()
    with HubClient(args.url, args.key) as admin:
        try:
            print("== Entourage: Running a Multi-Agent Team (REST)")
            entourage(admin, slug=args.slug)
            print("== CacheBash: Multi-Agent Workflows (MCP)")
            anyio.run(cachebash, admin)
        except (HubRefused, WalkthroughFailed) as exc:
            print(f"walkthrough failed: {exc}", file=sys.stderr)
            return 1
    print("== both walkthroughs completed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
