"""Creating, reading and steering tasks through the MCP tools."""

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import World


async def test_create_task_accepts_description_assignee_id_and_task_type(app: HubApp, world: World) -> None:
    backend = await world.agent("eng-backend")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        task = await call(
            client,
            "create_task",
            {
                "title": "Create GET/PATCH /api/v1/users/me endpoint",
                "description": "Return current user profile.",
                "priority": "medium",
                "task_type": "feature",
                "assignee_id": str(backend.id),
                "tags": ["api"],
            },
        )
    assert task["instructions"] == "Return current user profile."
    assert task["target"] == "eng-backend"
    assert task["task_type"] == "feature"
    assert task["priority"] == "normal"
    assert task["tags"] == ["api"]
    assert task["created_by"] == "manager"


async def test_a_batch_wires_dependencies_by_ref_and_returns_tasks_in_order(app: HubApp, world: World) -> None:
    await world.agent("eng-backend")
    await world.agent("eng-frontend")
    manager = await world.manager()
    items = [
        {"ref": "table", "title": "Create notifications table", "assignee_id": "eng-backend"},
        {"ref": "api", "title": "Build notification endpoints", "target": "eng-backend", "depends_on": ["table"]},
        {"title": "Bell UI", "target": "eng-frontend", "dependsOn": ["api"], "priority": "medium"},
    ]
    async with mcp_client(app, manager.key) as client:
        created = await call(client, "create_tasks_batch", {"tasks": items})
    tasks = created["tasks"]
    assert [t["title"] for t in tasks] == [i["title"] for i in items]
    assert [t["status"] for t in tasks] == ["ready", "blocked", "blocked"]
    assert tasks[1]["depends_on"] == [tasks[0]["id"]]
    assert tasks[2]["depends_on"] == [tasks[1]["id"]]


async def test_a_batch_with_a_cycle_creates_nothing(app: HubApp, world: World) -> None:
    manager = await world.manager()
    items = [
        {"ref": "a", "title": "A", "depends_on": ["b"]},
        {"ref": "b", "title": "B", "depends_on": ["a"]},
        {"ref": "c", "title": "C"},
    ]
    async with mcp_client(app, manager.key) as client:
        error = await refused(client, "create_tasks_batch", {"tasks": items})
        listed = await call(client, "get_tasks")
    assert error["code"] == "invalid_input"
    assert "cycle" in error["message"]
    assert listed["items"] == []


async def test_a_batch_item_with_an_unknown_field_is_refused_naming_the_item(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        error = await refused(client, "create_tasks_batch", {"tasks": [{"title": "ok"}, {"title": "x", "colour": 1}]})
        listed = await call(client, "get_tasks")
    assert error["code"] == "invalid_input"
    assert error["details"]["item"] == 1
    assert "colour" in error["message"]
    assert listed["items"] == []


async def test_get_tasks_filters_and_pages_with_a_cursor(app: HubApp, world: World) -> None:
    await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        for n in range(5):
            await call(client, "create_task", {"title": f"job {n}", "target": "builder", "tags": [f"n{n % 2}"]})
        await call(client, "create_task", {"title": "other", "priority": "high", "task_type": "bug"})
        first = await call(client, "get_tasks", {"target": "builder", "limit": 2})
        second = await call(client, "get_tasks", {"target": "builder", "limit": 2, "cursor": first["next_cursor"]})
        third = await call(client, "get_tasks", {"target": "builder", "limit": 2, "cursor": second["next_cursor"]})
        high = await call(client, "get_tasks", {"priority": "high"})
        numeric = await call(client, "get_tasks", {"priority": 2})
        bugs = await call(client, "get_tasks", {"taskType": "bug"})
        tagged = await call(client, "get_tasks", {"tag": "n1"})
        ready = await call(client, "get_tasks", {"status": ["ready", "claimed"]})
    assert [t["title"] for t in first["items"] + second["items"] + third["items"]] == [f"job {n}" for n in range(5)]
    assert third["next_cursor"] is None
    assert [t["title"] for t in high["items"]] == [t["title"] for t in numeric["items"]] == ["other"]
    assert [t["title"] for t in bugs["items"]] == ["other"]
    assert [t["title"] for t in tagged["items"]] == ["job 1", "job 3"]
    assert len(ready["items"]) == 6


async def test_get_tasks_filters_by_holder_and_parent(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        parent = await call(client, "create_task", {"title": "feature"})
        child = await call(client, "create_task", {"title": "part", "parent_id": parent["id"]})
    async with mcp_client(app, builder.key) as client:
        await call(client, "claim_task", {"task_id": child["id"]})
        held = await call(client, "get_tasks", {"holder": "builder"})
        children = await call(client, "get_tasks", {"parent_id": parent["id"]})
        detail = await call(client, "get_task", {"task_id": parent["id"]})
    assert [t["id"] for t in held["items"]] == [child["id"]]
    assert [t["id"] for t in children["items"]] == [child["id"]]
    assert detail["subtasks"][0]["holder"] == "builder"
    assert detail["subtask_progress"]["total"] == 1


async def test_get_task_shows_dependents_and_the_blocked_reason(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        first = await call(client, "create_task", {"title": "first"})
        second = await call(client, "create_task", {"title": "second", "depends_on": [first["id"]]})
        first_detail = await call(client, "get_task", {"taskId": str(first["id"])})
        second_detail = await call(client, "get_task", {"task_id": second["id"]})
    assert first_detail["dependents"] == [second["id"]]
    assert second_detail["status"] == "blocked"
    assert f"#{first['id']}" in second_detail["blocked_reason"]


async def test_get_task_events_tells_the_story_of_a_task(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "story"})
        await call(client, "claim_task", {"task_id": task["id"]})
        await call(client, "update_task", {"task_id": task["id"], "progress": 50, "currentAction": "writing tests"})
        await call(client, "complete_task", {"task_id": task["id"]})
        events = await call(client, "get_task_events", {"task_id": task["id"]})
        later = await call(client, "get_task_events", {"task_id": task["id"], "after_id": events["events"][1]["id"]})
    assert [e["kind"] for e in events["events"]] == ["created", "claimed", "updated", "completed"]
    assert {e["actor"] for e in events["events"]} == {"builder"}
    assert events["events"][2]["data"]["progress"] == 50
    assert [e["kind"] for e in later["events"]] == ["updated", "completed"]


async def test_update_task_reports_progress_and_lets_the_creator_edit(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as boss:
        task = await call(boss, "create_task", {"title": "draft title"})
        edited = await call(
            boss, "update_task", {"task_id": task["id"], "title": "final title", "priority": "high", "tags": ["x"]}
        )
    async with mcp_client(app, builder.key) as client:
        await call(client, "claim_task", {"task_id": task["id"]})
        progress = await call(client, "update_task", {"task_id": task["id"], "progress": 40, "current_action": "tests"})
        not_yours = await refused(client, "update_task", {"task_id": task["id"], "title": "mine now"})
    assert (edited["title"], edited["priority"], edited["tags"]) == ("final title", "high", ["x"])
    assert (progress["progress"], progress["current_action"]) == (40, "tests")
    assert not_yours["code"] == "forbidden"


async def test_cancel_with_cascade_cancels_the_dependents_too(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        root = await call(client, "create_task", {"title": "root"})
        leaf = await call(client, "create_task", {"title": "leaf", "depends_on": [root["id"]]})
        alone = await call(client, "create_task", {"title": "alone"})
        cascaded = await call(client, "cancel_task", {"task_id": root["id"], "cascade": True, "reason": "dropped"})
        single = await call(client, "cancel_task", {"task_id": alone["id"]})
        twice = await refused(client, "cancel_task", {"task_id": alone["id"]})
    assert sorted(t["id"] for t in cascaded["cancelled"]) == [root["id"], leaf["id"]]
    assert {t["status"] for t in cascaded["cancelled"]} == {"cancelled"}
    assert [t["id"] for t in single["cancelled"]] == [alone["id"]]
    assert twice["code"] == "conflict"


async def test_retry_brings_a_failed_task_back_to_ready(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "flaky"})
        not_failed = await refused(client, "retry_task", {"task_id": task["id"]})
        await call(client, "claim_task", {"task_id": task["id"]})
        await call(client, "complete_task", {"task_id": task["id"], "completed_status": "FAILED"})
        retried = await call(client, "retry_task", {"taskId": task["id"]})
    assert not_failed["code"] == "conflict"
    assert retried["status"] == "ready"
    assert retried["holder"] is None


async def test_reassign_releases_the_claim_for_the_new_target(app: HubApp, world: World) -> None:
    alice = await world.agent("alice")
    bob = await world.agent("bob")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as boss:
        task = await call(boss, "create_task", {"title": "move me", "target": "alice"})
    async with mcp_client(app, alice.key) as client:
        await call(client, "claim_task", {"task_id": task["id"]})
        not_allowed = await refused(client, "reassign_task", {"task_id": task["id"], "target": "bob"})
    async with mcp_client(app, manager.key) as boss:
        moved = await call(boss, "reassign_task", {"task_id": task["id"], "assignee_id": "bob"})
    async with mcp_client(app, bob.key) as client:
        taken = await call(client, "claim_next")
    assert not_allowed["code"] == "forbidden"
    assert (moved["target"], moved["status"], moved["holder"]) == ("bob", "ready", None)
    assert taken["task"]["id"] == task["id"]
