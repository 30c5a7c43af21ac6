"""Sprints through the MCP tools, with the seed's calls exactly as written."""

from __future__ import annotations

from typing import Any

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import World
from tests.sprints.seed import SEED_CREATE_SPRINT


def story(sprint: dict[str, Any], story_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for w in sprint["waves"] for s in w["stories"] if s["story_id"] == story_id)
    return found


async def test_the_seed_create_sprint_call_makes_six_stories_in_two_waves(app: HubApp, world: World) -> None:
    orchestrator = await world.agent("orchestrator")
    async with mcp_client(app, orchestrator.key) as client:
        sprint = await call(client, "create_sprint", SEED_CREATE_SPRINT)
        again = await call(client, "get_sprint", {"sprintId": sprint["key"]})

    assert again == sprint
    assert (sprint["project_name"], sprint["branch"]) == ("Add user management", "feature/user-management")
    assert sprint["key"] == f"sprint-{sprint['id']}"
    assert [(w["wave"], w["status"]) for w in sprint["waves"]] == [(1, "open"), (2, "locked")]
    assert [[s["story_id"] for s in w["stories"]] for w in sprint["waves"]] == [
        ["story-1", "story-2", "story-3"],
        ["story-4", "story-5", "story-6"],
    ]
    assert story(sprint, "story-4")["dependencies"] == ["story-2"]
    assert {s["status"] for s in sprint["waves"][1]["stories"]} == {"blocked"}
    assert (sprint["total"], sprint["percent_done"], sprint["counts"]["ready"]) == (6, 0, 3)


async def test_the_seed_update_sprint_story_call_claims_and_records_progress(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        sprint = await call(client, "create_sprint", SEED_CREATE_SPRINT)
        for sprint_id in (sprint["key"], sprint["id"], str(sprint["id"])):
            updated = await call(
                client,
                "update_sprint_story",
                {
                    "sprintId": sprint_id,
                    "storyId": "story-1",
                    "status": "active",
                    "progress": 50,
                    "currentAction": "Writing migration scripts",
                },
            )
            assert (updated["status"], updated["holder"], updated["progress"]) == ("claimed", "builder", 50)
        shown = story(await call(client, "get_sprint", {"sprintId": sprint["id"]}), "story-1")
        task = await call(client, "get_task", {"taskId": shown["task_id"]})

    assert shown["current_action"] == "Writing migration scripts"
    assert (task["sprint_id"], task["story_id"], task["attempt"]) == (sprint["id"], "story-1", 1)


async def test_a_wave_2_story_is_refused_by_claim_task_and_never_offered_by_claim_next(
    app: HubApp, world: World
) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        sprint = await call(client, "create_sprint", SEED_CREATE_SPRINT)
        error = await refused(client, "claim_task", {"taskId": story(sprint, "story-5")["task_id"]})
        via_story = await refused(
            client, "update_sprint_story", {"sprintId": sprint["key"], "storyId": "story-5", "status": "active"}
        )
        offered = [(await call(client, "claim_next"))["task"] for _ in range(4)]

    assert error["code"] == "conflict"
    assert "blocked: waiting for story-1, story-2, story-3" in error["message"]
    assert "wave 2 opens when every earlier wave is done" in error["message"]
    assert via_story["code"] == "conflict" and via_story["message"].startswith("story 'story-5' of sprint-")
    assert [t["story_id"] if t else None for t in offered] == ["story-1", "story-2", "story-3", None]


async def test_wave_2_becomes_claimable_when_the_last_wave_1_story_is_done_or_skipped(
    app: HubApp, world: World
) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        sprint = await call(client, "create_sprint", SEED_CREATE_SPRINT)
        for story_id, status in (("story-1", "done"), ("story-2", "done"), ("story-3", "skipped")):
            await call(
                client, "update_sprint_story", {"sprintId": sprint["id"], "storyId": story_id, "status": "active"}
            )
            await call(client, "update_sprint_story", {"sprintId": sprint["id"], "storyId": story_id, "status": status})
        after = await call(client, "get_sprint", {"sprintId": sprint["id"]})
        claimed = await call(client, "claim_task", {"taskId": story(after, "story-5")["task_id"]})

    assert [(w["wave"], w["status"]) for w in after["waves"]] == [(1, "done"), (2, "open")]
    assert (after["done"], after["percent_done"], after["current_wave"]) == (3, 50, 2)
    assert claimed["status"] == "claimed"


async def test_complete_sprint_is_refused_while_stories_are_open_and_allowed_with_force(
    app: HubApp, world: World
) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        sprint = await call(client, "create_sprint", SEED_CREATE_SPRINT)
        error = await refused(client, "complete_sprint", {"sprintId": sprint["key"]})
        completed = await call(client, "complete_sprint", {"sprintId": sprint["key"], "force": True})
        twice = await refused(client, "complete_sprint", {"sprintId": sprint["key"], "force": True})
        listed = await call(client, "list_sprints", {"status": "completed"})

    assert error["code"] == "conflict"
    assert "has 6 open stories" in error["message"]
    assert error["details"]["open_stories"] == [f"story-{n}" for n in range(1, 7)]
    assert (completed["status"], completed["counts"]["cancelled"]) == ("completed", 6)
    assert twice["code"] == "conflict"
    assert [s["id"] for s in listed["sprints"]] == [sprint["id"]]


async def test_add_story_to_sprint_blocks_unstarted_later_waves_again(app: HubApp, world: World) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        sprint = await call(client, "create_sprint", {"projectName": "Small", "stories": [{"title": "Only"}]})
        later = await call(
            client,
            "add_story_to_sprint",
            {"sprintId": sprint["id"], "story": {"id": "docs", "title": "Docs", "wave": 2}},
        )
        earlier = await call(
            client,
            "add_story_to_sprint",
            {"sprintId": sprint["id"], "story": {"storyId": "schema", "title": "Schema", "dependsOn": ["story-1"]}},
        )
        bad = await refused(
            client, "add_story_to_sprint", {"sprintId": sprint["id"], "story": {"title": "x", "dependencies": ["docs"]}}
        )
        after = await call(client, "get_sprint", {"sprintId": sprint["id"]})

    assert (later["story_id"], later["wave"], later["status"]) == ("docs", 2, "blocked")
    assert (earlier["story_id"], earlier["wave"], earlier["status"]) == ("schema", 1, "blocked")
    assert bad["code"] == "invalid_input" and "later wave 2" in bad["message"]
    assert [[s["story_id"] for s in w["stories"]] for w in after["waves"]] == [["story-1", "schema"], ["docs"]]


async def test_sprints_of_another_team_are_not_found_and_bad_stories_are_refused(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    stranger = await (await world.other_team()).agent("stranger")
    async with mcp_client(app, builder.key) as client:
        sprint = await call(client, "create_sprint", SEED_CREATE_SPRINT)
        cycle = await refused(
            client,
            "create_sprint",
            {"projectName": "Loop", "stories": [{"id": "a", "title": "A", "dependencies": ["a"]}]},
        )
        unknown_field = await refused(
            client, "create_sprint", {"projectName": "Odd", "stories": [{"title": "A", "colour": "red"}]}
        )
        listed = await call(client, "list_sprints")
    async with mcp_client(app, stranger.key) as client:
        hidden = await refused(client, "get_sprint", {"sprintId": sprint["id"]})

    assert cycle["code"] == "invalid_input" and "cycle" in cycle["message"]
    assert unknown_field["code"] == "invalid_input" and "colour" in unknown_field["message"]
    assert [s["id"] for s in listed["sprints"]] == [sprint["id"]]
    assert hidden["code"] == "not_found"
