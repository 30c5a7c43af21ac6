"""Turns over REST and MCP, and setting an agent's runner over REST: who sees what, and what is refused."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from switchboard.api.app import HubApp
from switchboard.dispatch.dispatcher import Dispatcher
from switchboard.dispatch.models import Turn
from switchboard.tasks.models import TaskDraft
from switchboard.waiting import wait_until
from tests.api.mcp_client import call, mcp_client, refused
from tests.api.rest_helpers import ok
from tests.conftest import World, auth
from tests.dispatch.conftest import dispatching

ECHO = f"{sys.executable} -c \"print('hello from the turn')\""


async def refusal(http: httpx.AsyncClient, method: str, path: str, key: str, **kwargs: Any) -> tuple[int, str]:
    response = await http.request(method, f"/api/v1{path}", headers=auth(key), **kwargs)
    return response.status_code, response.json()["error"]["code"]


@pytest.fixture
async def dispatcher(world: World) -> AsyncIterator[Dispatcher]:
    async with dispatching(world.hub) as dispatcher:
        yield dispatcher


async def a_finished_turn(world: World, http: httpx.AsyncClient) -> Turn:
    builder = await world.hub.teams.create_agent(world.admin, world.team.id, "builder", "engineer")
    changed = await ok(
        http,
        "PATCH",
        f"/agents/{builder.id}",
        world.admin_key,
        json={"runner": {"command": ECHO, "timeout_seconds": 60}},
    )
    assert changed["config"]["runner"]["type"] == "command"
    task = await world.hub.tasks.create_task(world.admin, TaskDraft(title="Say hello", target="builder"), world.team.id)

    async def ended() -> list[Turn]:
        turns = await world.hub.turns.list_turns(world.admin, world.team.id)
        return [t for t in turns if t.ended_at is not None and t.task_id == task.id]

    (turn,) = await wait_until(world.hub.notifier, world.team.id, ended, 30)
    return turn


async def test_turns_are_listed_and_read_over_rest(
    http: httpx.AsyncClient, world: World, dispatcher: Dispatcher
) -> None:
    turn = await a_finished_turn(world, http)
    team = world.team.id
    listed = await ok(http, "GET", f"/teams/{team}/turns", world.admin_key, params={"agent": "builder"})
    one = await ok(http, "GET", f"/turns/{turn.id}", world.admin_key)
    of_task = await ok(http, "GET", f"/tasks/{turn.task_id}/turns", world.admin_key)
    none = await ok(http, "GET", f"/teams/{team}/turns", world.admin_key, params={"status": "timed_out"})

    assert [t["id"] for t in listed["turns"]] == [turn.id] and "prompt" not in listed["turns"][0]
    assert one["status"] == "succeeded" and one["exit_code"] == 0 and one["trigger"] == "task_ready"
    assert "hello from the turn" in one["output_tail"] and "Say hello" in one["prompt"]
    assert one["triggers"][0]["task_id"] == turn.task_id and one["duration_seconds"] is not None
    assert [t["id"] for t in of_task["turns"]] == [turn.id] and none["turns"] == []


async def test_another_team_sees_no_turns_and_bad_filters_are_refused(
    http: httpx.AsyncClient, world: World, dispatcher: Dispatcher
) -> None:
    turn = await a_finished_turn(world, http)
    stranger = await (await world.other_team()).agent("stranger")
    assert await refusal(http, "GET", f"/turns/{turn.id}", stranger.key) == (404, "not_found")
    assert await refusal(http, "GET", f"/tasks/{turn.task_id}/turns", stranger.key) == (404, "not_found")
    assert await refusal(http, "GET", f"/teams/{world.team.id}/turns", stranger.key) == (404, "not_found")
    bad = {"status": "sleeping"}
    assert await refusal(http, "GET", f"/teams/{world.team.id}/turns", world.admin_key, params=bad) == (
        422,
        "invalid_input",
    )


async def test_runner_settings_are_checked_hidden_and_only_for_managers(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    path = f"/agents/{builder.id}"
    webhook = {"type": "webhook", "url": "https://agents.example/turn", "secret": "s3cr3t-s3cr3t-s3cr3t"}
    shown = await ok(http, "PATCH", path, world.admin_key, json={"runner": webhook, "model": "m-2"})
    assert shown["config"]["runner"]["secret"] == "(hidden)" and shown["model"] == "m-2"
    mine = await ok(http, "GET", path, builder.key)
    assert mine["config"]["runner"]["secret"] == "(hidden)"
    for bad in (
        {"runner": {"type": "pigeon"}},
        {"runner": {"type": "command", "command": "run {nonsense}"}},
        {"runner": {"type": "command", "command": "x", "timeout_seconds": 0}},
        {"runner": {"type": "webhook", "url": "ftp://x", "secret": "s3cr3t-s3cr3t-s3cr3t"}},
    ):
        assert await refusal(http, "PATCH", path, world.admin_key, json=bad) == (422, "invalid_input"), bad
    assert await refusal(http, "PATCH", path, builder.key, json={"runner": None}) == (403, "forbidden")
    unchanged = await ok(http, "GET", path, world.admin_key)
    assert unchanged["config"]["runner"]["type"] == "webhook"
    cleared = await ok(http, "PATCH", path, world.admin_key, json={"runner": None})
    assert "runner" not in cleared["config"]


async def test_turns_are_listed_and_read_over_mcp(
    app: HubApp, http: httpx.AsyncClient, world: World, dispatcher: Dispatcher
) -> None:
    turn = await a_finished_turn(world, http)
    reader = await world.agent("reader")
    async with mcp_client(app, reader.key) as client:
        listed = await call(client, "list_turns", {"agent": "builder"})
        one = await call(client, "get_turn", {"turn_id": turn.id})
        missing = await refused(client, "get_turn", {"turn_id": turn.id + 1000})
    assert [t["id"] for t in listed["turns"]] == [turn.id]
    assert one["output_tail"].strip() == "hello from the turn" and one["agent"] == "builder"
    assert missing["code"] == "not_found"
