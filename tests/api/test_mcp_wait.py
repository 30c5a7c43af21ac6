"""Waiting calls through the MCP tools: wait_seconds on the reading tools, and wait_for_task_completion."""

from __future__ import annotations

import anyio
import pytest

from switchboard.api.app import HubApp
from switchboard.hub import Hub
from switchboard.tasks.models import TaskDraft
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import World
from tests.wake.helpers import start, until_waiting

pytestmark = pytest.mark.anyio


async def test_claim_next_with_wait_seconds_returns_the_task_created_while_it_waits(
    app: HubApp, hub: Hub, world: World
) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, builder.key) as agent, mcp_client(app, manager.key) as boss:
        with anyio.fail_after(4):
            async with anyio.create_task_group() as tg:
                claimed = start(tg, lambda: call(agent, "claim_next", {"waitSeconds": 60}))
                await until_waiting(hub.notifier, world.team.id)
                task = await call(boss, "create_task", {"title": "Wire the bell", "target": "builder"})
                got = await claimed.result()
    assert got["task"]["id"] == task["id"] and got["task"]["holder"] == "builder"


async def test_get_inbox_with_wait_seconds_answers_empty_at_the_timeout(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as agent:
        got = await call(agent, "get_inbox", {"wait_seconds": 0.05})
    assert got["messages"] == []


async def test_wait_for_task_completion_returns_each_tasks_status_when_all_are_finished(
    app: HubApp, hub: Hub, world: World
) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as boss:
        one = await call(boss, "create_task", {"title": "One"})
        two = await call(boss, "create_task", {"title": "Two"})
        with anyio.fail_after(4):
            async with anyio.create_task_group() as tg:
                ids = [str(one["id"]), str(two["id"])]
                waited = start(tg, lambda: call(boss, "wait_for_task_completion", {"task_ids": ids}))
                await until_waiting(hub.notifier, world.team.id)
                await call(boss, "complete_task", {"task_id": one["id"], "completed_status": "SUCCESS"})
                await until_waiting(hub.notifier, world.team.id)
                await call(boss, "cancel_task", {"task_id": two["id"]})
                got = await waited.result()
    assert got["done"] is True and got["timed_out"] is False
    assert [(t["id"], t["status"]) for t in got["tasks"]] == [(one["id"], "done"), (two["id"], "cancelled")]


async def test_wait_for_task_completion_answers_at_its_timeout_with_the_current_state(
    app: HubApp, world: World
) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as boss:
        task = await call(boss, "create_task", {"title": "Slow"})
        got = await call(boss, "wait_for_task_completion", {"taskIds": [task["id"]], "timeoutSeconds": 0.05})
    assert got["done"] is False and got["timed_out"] is True
    assert [t["status"] for t in got["tasks"]] == ["ready"]


async def test_wait_for_task_completion_refuses_another_teams_task(app: HubApp, hub: Hub, world: World) -> None:
    other = await world.other_team()
    theirs = await hub.tasks.create_task(world.admin, TaskDraft(title="Theirs"), team_id=other.team.id)
    manager = await world.manager()
    async with mcp_client(app, manager.key) as boss:
        error = await refused(boss, "wait_for_task_completion", {"task_ids": [theirs.id], "timeout_seconds": 60})
        too_long = await refused(boss, "claim_next", {"wait_seconds": 3600})
    assert error["code"] == "not_found"
    assert too_long["code"] == "invalid_input" and "wait_seconds" in too_long["message"]
