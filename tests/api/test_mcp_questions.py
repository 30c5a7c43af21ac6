"""Asking people and raising alerts through the MCP tools."""

from __future__ import annotations

import httpx

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.api.rest_helpers import API, ok
from tests.conftest import FakeClock, World, auth
from tests.questions.inbox import inbox


async def test_ask_list_answer_and_read_the_response_with_the_seeds_argument_names(
    app: HubApp, http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "Add rate limiting"})
        asked = await call(
            client,
            "ask_question",
            {"question": "All endpoints or just /api/users?", "options": ["all", "users only"], "taskId": task["id"],
             "timeoutMinutes": 90},
        )  # fmt: skip
        mine = await call(client, "list_questions", {"status": "pending"})
        await ok(http, "POST", f"/questions/{asked['id']}/answer", world.admin_key, json={"answer": "Users Only"})
        response = await call(client, "get_response", {"questionId": asked["id"]})

    assert (asked["status"], asked["task_id"], asked["kind"], asked["asked_by"]) == (
        "pending",
        task["id"],
        "question",
        "builder",
    )
    assert [q["id"] for q in mine["questions"]] == [asked["id"]]
    assert (response["status"], response["answer"], response["answered_by"]) == (
        "answered",
        "users only",
        world.admin.actor,
    )
    assert response["answered_at"] is not None
    [message] = await inbox(world.hub, builder.id)
    assert message.body == f"Your question #{asked['id']} was answered: users only"


async def test_ask_human_and_ask_question_are_one_tool_under_two_names(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        first = await call(client, "ask_human", {"question": "Deploy now?", "kind": "approval"})
    assert {"ask_human", "ask_question", "get_response", "list_questions", "send_alert"} <= set(tools)
    assert tools["ask_human"].input_schema == tools["ask_question"].input_schema
    assert tools["ask_human"].annotations == tools["ask_question"].annotations
    assert tools["get_response"].annotations is not None and tools["get_response"].annotations.read_only_hint
    assert first["options"] == ["approve", "reject"]


async def test_refusals_come_back_as_tool_errors(app: HubApp, world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    nosy = await world.agent("nosy")
    outsider = await (await world.other_team()).agent("outsider")
    async with mcp_client(app, builder.key) as client:
        bad_options = await refused(client, "ask_human", {"question": "Which?", "options": ["only"]})
        asked = await call(client, "ask_human", {"question": "Which?", "options": ["a", "b"], "timeout_minutes": 5})
    async with mcp_client(app, world.admin_key) as client:
        admin_asks = await refused(client, "ask_human", {"question": "Me?", "team_id": world.team.id})
    async with mcp_client(app, outsider.key) as client:
        foreign = await refused(client, "get_response", {"question_id": asked["id"]})
    async with mcp_client(app, nosy.key) as client:
        not_theirs = await refused(client, "get_response", {"question_id": asked["id"]})
        engineer_answers = await refused(client, "answer_question", {"question_id": asked["id"], "answer": "a"})

    assert bad_options["code"] == "invalid_input"
    assert admin_asks["code"] == "forbidden"
    assert foreign["code"] == "not_found"
    assert not_theirs["code"] == engineer_answers["code"] == "forbidden"


async def test_a_manager_answers_over_mcp_where_the_team_allows_it(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, builder.key) as client:
        asked = await call(client, "ask_human", {"question": "Ship it?", "options": ["yes", "no"]})
    async with mcp_client(app, manager.key) as client:
        not_allowed = await refused(client, "answer_question", {"questionId": asked["id"], "answer": "yes"})
        await world.hub.teams.update_settings(world.admin, world.team.id, {"managers_answer_questions": True})
        outside = await refused(client, "answer_question", {"questionId": asked["id"], "answer": "maybe"})
        answered = await call(client, "answer_question", {"questionId": asked["id"], "answer": "YES"})
        twice = await refused(client, "answer_question", {"questionId": asked["id"], "answer": "no"})
    assert not_allowed["code"] == "forbidden"
    assert outside["code"] == "invalid_input"
    assert (answered["status"], answered["answer"], answered["answered_by"]) == ("answered", "yes", "manager")
    assert twice["code"] == "conflict"
    assert twice["details"]["answered_by"] == "manager"


async def test_a_question_past_its_timeout_reads_as_expired(app: HubApp, world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        asked = await call(client, "ask_human", {"question": "Which?", "timeoutMinutes": 1})
        clock.advance(60)
        response = await call(client, "get_response", {"question_id": asked["id"]})
    assert (response["status"], response["answer"]) == ("expired", None)
    assert [m.message_type for m in await inbox(world.hub, builder.id)] == ["STATUS"]


async def test_send_alert_is_recorded_for_the_people_watching(
    app: HubApp, http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        alert = await call(client, "send_alert", {"message": "main is red", "priority": "high"})
        bad = await refused(client, "send_alert", {"message": "main is red", "priority": "apocalyptic"})
    listed = await ok(http, "GET", f"/teams/{world.team.id}/alerts", world.admin_key)
    assert (alert["priority"], alert["raised_by"], alert["message"]) == ("high", "builder", "main is red")
    assert [a["id"] for a in listed["alerts"]] == [alert["id"]]
    assert bad["code"] == "invalid_input"
    response = await http.get(f"{API}/teams/{world.team.id}/alerts", headers=auth(builder.key))
    assert response.status_code == 403
