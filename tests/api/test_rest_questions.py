"""Questions and alerts over REST: the answer form people use, with its refusals."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.rest_helpers import API, created, error_of, ok
from tests.conftest import FakeClock, World, auth
from tests.questions.inbox import inbox


async def ask(http: httpx.AsyncClient, world: World, key: str, **body: Any) -> dict[str, Any]:
    return await created(http, f"/teams/{world.team.id}/questions", key, {"question": "Which?", **body})


async def test_an_agent_asks_a_person_answers_and_the_agent_reads_it(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    task = await created(http, f"/teams/{world.team.id}/tasks", builder.key, {"title": "Add rate limiting"})
    asked = await ask(http, world, builder.key, question="Which scope?", options=["all", "users"], taskId=task["id"])
    pending = await ok(http, "GET", f"/teams/{world.team.id}/questions", world.admin_key, params={"status": "pending"})
    assert [q["id"] for q in pending["questions"]] == [asked["id"]]
    org_wide = await ok(http, "GET", "/questions", world.admin_key, params={"status": "pending", "limit": 500})
    assert asked["id"] in [q["id"] for q in org_wide["questions"]]

    answered = await ok(http, "POST", f"/questions/{asked['id']}/answer", world.admin_key, json={"answer": "users"})
    read = await ok(http, "GET", f"/questions/{asked['id']}", builder.key)
    assert read == answered
    assert (read["status"], read["answer"], read["task_id"]) == ("answered", "users", task["id"])
    [message] = await inbox(world.hub, builder.id)
    assert (message.message_type, message.task_id) == ("RESULT", task["id"])


async def test_an_answer_outside_the_options_is_422_and_changes_nothing(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    asked = await ask(http, world, builder.key, options=["yes", "no"])
    response = await http.post(
        f"{API}/questions/{asked['id']}/answer", json={"answer": "maybe"}, headers=auth(world.admin_key)
    )
    error = error_of(response, 422, "invalid_input")
    assert error["details"]["options"] == ["yes", "no"]
    assert await ok(http, "GET", f"/questions/{asked['id']}", builder.key) == asked
    assert await inbox(world.hub, builder.id) == []


async def test_a_second_answer_is_409_naming_who_answered(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    asked = await ask(http, world, builder.key, options=["yes", "no"])
    await ok(http, "POST", f"/questions/{asked['id']}/answer", world.admin_key, json={"answer": "yes"})
    again = await http.post(
        f"{API}/questions/{asked['id']}/answer", json={"answer": "no"}, headers=auth(world.admin_key)
    )
    error = error_of(again, 409, "conflict")
    assert error["details"]["answered_by"] == world.admin.actor


async def test_an_unanswered_question_expires_after_its_timeout(
    http: httpx.AsyncClient, world: World, clock: FakeClock
) -> None:
    builder = await world.agent("builder")
    lazy = await ask(http, world, builder.key, timeout_minutes=10)
    swept = await ask(http, world, builder.key, timeoutMinutes=10)
    clock.advance(10 * 60)

    assert (await ok(http, "GET", f"/questions/{lazy['id']}", builder.key))["status"] == "expired"
    # At least this one: on PostgreSQL other tests' questions share the database.
    assert await world.hub.questions.expire_due() >= 1
    assert (await ok(http, "GET", f"/questions/{swept['id']}", builder.key))["status"] == "expired"
    late = await http.post(f"{API}/questions/{swept['id']}/answer", json={"answer": "x"}, headers=auth(world.admin_key))
    assert "expired" in error_of(late, 409, "conflict")["message"]
    assert [m.message_type for m in await inbox(world.hub, builder.id)] == ["STATUS", "STATUS"]


async def test_another_teams_question_is_404_and_an_engineer_cannot_answer(
    http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    nosy = await world.agent("nosy")
    other = await world.other_team()
    outsider = await other.agent("outsider")
    asked = await ask(http, world, builder.key)
    path = f"{API}/questions/{asked['id']}"

    error_of(await http.get(path, headers=auth(outsider.key)), 404, "not_found")
    error_of(await http.post(f"{path}/answer", json={"answer": "x"}, headers=auth(outsider.key)), 404, "not_found")
    error_of(await http.get(f"{API}/teams/{world.team.id}/questions", headers=auth(outsider.key)), 404, "not_found")
    error_of(await http.post(f"{path}/answer", json={"answer": "x"}, headers=auth(nosy.key)), 403, "forbidden")
    error_of(await http.get(path, headers=auth(nosy.key)), 403, "forbidden")
    assert (await ok(http, "GET", f"/questions/{asked['id']}", builder.key))["status"] == "pending"


async def test_bad_questions_are_refused_with_the_right_status(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    path = f"{API}/teams/{world.team.id}/questions"
    cases = [
        ({"question": "Which?", "options": ["one"]}, 422, "invalid_input"),
        ({"question": "Which?", "timeout_minutes": 20000}, 422, "invalid_input"),
        ({"question": "Which?", "kind": "vote"}, 422, "invalid_input"),
        ({"question": "Which?", "urgency": "high"}, 422, "invalid_input"),
        ({"question": "x" * (64 * 1024 + 1)}, 413, "too_large"),
    ]
    for body, status, code in cases:
        error_of(await http.post(path, json=body, headers=auth(builder.key)), status, code)
    error_of(await http.post(path, json={"question": "Me?"}, headers=auth(world.admin_key)), 403, "forbidden")
    listed = await ok(http, "GET", f"/teams/{world.team.id}/questions", world.admin_key)
    assert listed == {"questions": []}


async def test_alerts_are_raised_listed_and_acknowledged(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    alert = await created(
        http, f"/teams/{world.team.id}/alerts", builder.key, {"message": "main is red", "priority": "critical"}
    )
    assert (alert["priority"], alert["raised_by"], alert["acknowledged_at"]) == ("critical", "builder", None)
    listed = await ok(http, "GET", f"/teams/{world.team.id}/alerts", world.admin_key)
    assert [a["id"] for a in listed["alerts"]] == [alert["id"]]

    seen = await ok(http, "POST", f"/alerts/{alert['id']}/acknowledge", world.admin_key)
    assert seen["acknowledged_by"] == world.admin.actor
    still_open = await ok(
        http, "GET", f"/teams/{world.team.id}/alerts", world.admin_key, params={"unacknowledged_only": True}
    )
    assert still_open == {"alerts": []}
    error_of(await http.get(f"{API}/teams/{world.team.id}/alerts", headers=auth(builder.key)), 403, "forbidden")
    outsider = await (await world.other_team()).agent("outsider", role="manager")
    error_of(await http.post(f"{API}/alerts/{alert['id']}/acknowledge", headers=auth(outsider.key)), 404, "not_found")
    bad = await http.post(f"{API}/teams/{world.team.id}/alerts", json={"message": ""}, headers=auth(builder.key))
    error_of(bad, 422, "invalid_input")
