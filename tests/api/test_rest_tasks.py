import httpx

from tests.api.rest_helpers import API, created, error_of, new_task, ok
from tests.conftest import World, auth


async def test_creating_a_task_answers_201_with_the_task(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    task = await new_task(
        http, world.admin_key, world.team.id, "Write the parser", instructions="Use a PEG.", target="builder"
    )
    assert task["status"] == "ready"
    assert task["target"] == "builder"
    assert task["instructions"] == "Use a PEG."
    assert task["created_by"].startswith("admin:")
    shown = await ok(http, "GET", f"/tasks/{task['id']}", builder.key)
    assert shown["title"] == "Write the parser"
    assert shown["dependents"] == []


async def test_a_task_with_an_unfinished_dependency_is_blocked_and_its_detail_lists_dependents(
    http: httpx.AsyncClient, world: World
) -> None:
    first = await new_task(http, world.admin_key, world.team.id, "schema")
    second = await new_task(http, world.admin_key, world.team.id, "api", depends_on=[first["id"]])
    assert second["status"] == "blocked"
    assert second["depends_on"] == [first["id"]]
    assert (await ok(http, "GET", f"/tasks/{first['id']}", world.admin_key))["dependents"] == [second["id"]]


async def test_a_parent_shows_its_subtasks_and_their_progress(http: httpx.AsyncClient, world: World) -> None:
    parent = await new_task(http, world.admin_key, world.team.id, "feature")
    await new_task(http, world.admin_key, world.team.id, "part one", parent_id=parent["id"])
    await new_task(http, world.admin_key, world.team.id, "part two", parent_id=parent["id"])
    detail = await ok(http, "GET", f"/tasks/{parent['id']}", world.admin_key)
    assert [s["title"] for s in detail["subtasks"]] == ["part one", "part two"]
    assert detail["subtask_progress"] == {"total": 2, "done": 0, "percent_done": 0.0}


async def test_listing_filters_by_status_and_pages_with_a_cursor(http: httpx.AsyncClient, world: World) -> None:
    first = await new_task(http, world.admin_key, world.team.id, "one", priority="high")
    for title in ("two", "three"):
        await new_task(http, world.admin_key, world.team.id, title, depends_on=[first["id"]])
    path = f"/teams/{world.team.id}/tasks"
    page = await ok(http, "GET", path, world.admin_key, params={"status": "todo", "limit": 2})
    assert [t["title"] for t in page["items"]] == ["one", "two"]
    rest = await ok(http, "GET", path, world.admin_key, params={"status": "todo", "cursor": page["next_cursor"]})
    assert [t["title"] for t in rest["items"]] == ["three"]
    assert rest["next_cursor"] is None
    blocked = await ok(http, "GET", path, world.admin_key, params={"status": "blocked"})
    assert [t["title"] for t in blocked["items"]] == ["two", "three"]
    high = await ok(http, "GET", path, world.admin_key, params={"priority": "high"})
    assert [t["title"] for t in high["items"]] == ["one"]


async def test_listing_filters_by_target_tag_and_type(http: httpx.AsyncClient, world: World) -> None:
    await world.agent("builder")
    await new_task(http, world.admin_key, world.team.id, "aimed", target="builder", tags=["ui"], task_type="bug")
    await new_task(http, world.admin_key, world.team.id, "open")
    path = f"/teams/{world.team.id}/tasks"
    for params in ({"target": "builder"}, {"tag": "ui"}, {"task_type": "bug"}):
        items = (await ok(http, "GET", path, world.admin_key, params=params))["items"]
        assert [t["title"] for t in items] == ["aimed"], params


async def test_a_batch_is_created_at_once_with_references_between_items(http: httpx.AsyncClient, world: World) -> None:
    body = {
        "tasks": [
            {"title": "migration", "ref": "db"},
            {"title": "endpoints", "ref": "api", "depends_on": ["db"]},
            {"title": "bell", "depends_on": ["api"]},
        ]
    }
    tasks = (await created(http, f"/teams/{world.team.id}/tasks/batch", world.admin_key, body))["tasks"]
    db, api, bell = tasks
    assert [t["status"] for t in tasks] == ["ready", "blocked", "blocked"]
    assert api["depends_on"] == [db["id"]]
    assert bell["depends_on"] == [api["id"]]


async def test_claim_next_takes_the_highest_priority_ready_task(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    await new_task(http, world.admin_key, world.team.id, "later", priority="low")
    urgent = await new_task(http, world.admin_key, world.team.id, "now", priority="critical")
    claimed = await ok(http, "POST", f"/teams/{world.team.id}/tasks/claim-next", builder.key)
    assert claimed["task"]["id"] == urgent["id"]
    assert claimed["task"]["holder"] == "builder"
    assert claimed["task"]["attempt"] == 1


async def test_claim_next_with_nothing_ready_answers_a_null_task(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    assert await ok(http, "POST", f"/teams/{world.team.id}/tasks/claim-next", builder.key) == {"task": None}


async def test_a_holder_claims_heartbeats_reports_progress_and_completes(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id, "build it")
    dependent = await new_task(http, world.admin_key, world.team.id, "ship it", depends_on=[task["id"]])
    claimed = await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    assert claimed["status"] == "claimed"
    beat = await ok(http, "POST", f"/tasks/{task['id']}/heartbeat", builder.key)
    assert beat["lease_expires_at"] is not None
    await ok(http, "POST", f"/tasks/{task['id']}/heartbeat", builder.key, json={"attempt": 1})
    progress = await ok(
        http, "PATCH", f"/tasks/{task['id']}", builder.key, json={"progress": 40, "current_action": "tests"}
    )
    assert progress["progress"] == 40
    assert progress["title"] == "build it"
    done = await ok(
        http,
        "POST",
        f"/tasks/{task['id']}/complete",
        builder.key,
        json={"status": "SUCCESS", "result": "merged", "tokens_in": 10, "cost_usd": 0.5, "model": "m", "attempt": 1},
    )
    assert done["status"] == "done"
    assert done["result"] == "merged"
    assert done["usage"] == {"tokens_in": 10, "tokens_out": 0, "cost_usd": 0.5, "model": "m"}
    assert (await ok(http, "GET", f"/tasks/{dependent['id']}", builder.key))["status"] == "ready"


async def test_completing_with_no_body_means_success(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    done = await ok(http, "POST", f"/tasks/{task['id']}/complete", builder.key)
    assert done["completed_status"] == "SUCCESS"


async def test_a_failed_completion_can_be_retried(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    failed = await ok(http, "POST", f"/tasks/{task['id']}/complete", builder.key, json={"completed_status": "FAILED"})
    assert failed["status"] == "failed"
    retried = await ok(http, "POST", f"/tasks/{task['id']}/retry", world.admin_key)
    assert retried["status"] == "ready"


async def test_unclaiming_returns_the_task_to_ready(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    back = await ok(http, "POST", f"/tasks/{task['id']}/unclaim", builder.key, json={"reason": "wrong skills"})
    assert back["status"] == "ready"
    assert back["holder"] is None
    events = (await ok(http, "GET", f"/tasks/{task['id']}/events", builder.key))["events"]
    assert events[-1]["kind"] == "unclaimed"
    assert events[-1]["data"]["reason"] == "wrong skills"


async def test_cancelling_with_cascade_cancels_the_dependents_too(http: httpx.AsyncClient, world: World) -> None:
    root = await new_task(http, world.admin_key, world.team.id, "root")
    child = await new_task(http, world.admin_key, world.team.id, "child", depends_on=[root["id"]])
    answer = await ok(http, "POST", f"/tasks/{root['id']}/cancel", world.admin_key, json={"cascade": True})
    assert sorted(t["id"] for t in answer["cancelled"]) == [root["id"], child["id"]]
    assert all(t["status"] == "cancelled" for t in answer["cancelled"])


async def test_cancelling_with_no_body_cancels_only_that_task(http: httpx.AsyncClient, world: World) -> None:
    root = await new_task(http, world.admin_key, world.team.id, "root")
    child = await new_task(http, world.admin_key, world.team.id, "child", depends_on=[root["id"]])
    answer = await ok(http, "POST", f"/tasks/{root['id']}/cancel", world.admin_key)
    assert [t["id"] for t in answer["cancelled"]] == [root["id"]]
    assert (await ok(http, "GET", f"/tasks/{child['id']}", world.admin_key))["status"] == "blocked"


async def test_reassigning_by_assignee_id_releases_the_claim(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    tester = await world.agent("tester")
    task = await new_task(http, world.admin_key, world.team.id, target="builder")
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    moved = await ok(http, "POST", f"/tasks/{task['id']}/reassign", world.admin_key, json={"assignee_id": tester.id})
    assert moved["target"] == "tester"
    assert moved["status"] == "ready"
    assert (await ok(http, "POST", f"/tasks/{task['id']}/claim", tester.key))["holder"] == "tester"


async def test_editing_a_task_changes_only_the_fields_sent(http: httpx.AsyncClient, world: World) -> None:
    task = await new_task(http, world.admin_key, world.team.id, "old", instructions="keep me", tags=["a"])
    edited = await ok(http, "PATCH", f"/tasks/{task['id']}", world.admin_key, json={"title": "new", "priority": "high"})
    assert edited["title"] == "new"
    assert edited["priority"] == "high"
    assert edited["instructions"] == "keep me"
    assert edited["tags"] == ["a"]


async def test_setting_a_title_to_null_is_refused_with_422(http: httpx.AsyncClient, world: World) -> None:
    task = await new_task(http, world.admin_key, world.team.id, "keep")
    response = await http.patch(f"{API}/tasks/{task['id']}", json={"title": None}, headers=auth(world.admin_key))
    error_of(response, 422, "invalid_input")
    assert (await ok(http, "GET", f"/tasks/{task['id']}", world.admin_key))["title"] == "keep"


async def test_events_tell_the_timeline_and_resume_after_an_id(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    task = await new_task(http, world.admin_key, world.team.id)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    await ok(http, "POST", f"/tasks/{task['id']}/complete", builder.key)
    events = (await ok(http, "GET", f"/tasks/{task['id']}/events", builder.key))["events"]
    assert [e["kind"] for e in events] == ["created", "claimed", "completed"]
    later = await ok(http, "GET", f"/tasks/{task['id']}/events", builder.key, params={"after_id": events[0]["id"]})
    assert [e["kind"] for e in later["events"]] == ["claimed", "completed"]


async def test_the_openapi_document_lists_the_task_routes(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/teams/{team_id}/tasks",
        "/api/v1/teams/{team_id}/tasks/batch",
        "/api/v1/teams/{team_id}/tasks/claim-next",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/tasks/{task_id}/events",
        "/api/v1/settings/teams/{team_id}",
    ):
        assert path in paths, path
    create = paths["/api/v1/teams/{team_id}/tasks"]["post"]
    assert "201" in create["responses"]
    assert create["description"]
