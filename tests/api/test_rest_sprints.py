"""Sprints through the REST API: the seed's sprint, waves enforced, progress, adding stories, completing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.rest_helpers import API, created, error_of, ok
from tests.conftest import World, auth
from tests.sprints.seed import SEED_CREATE_SPRINT


def story(sprint: dict[str, Any], story_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for w in sprint["waves"] for s in w["stories"] if s["story_id"] == story_id)
    return found


async def new_seed_sprint(http: httpx.AsyncClient, world: World, key: str) -> dict[str, Any]:
    return await created(http, f"/teams/{world.team.id}/sprints", key, SEED_CREATE_SPRINT)


async def test_the_seed_sprint_is_created_and_read_by_number_or_key(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    sprint = await new_seed_sprint(http, world, builder.key)

    by_key = await ok(http, "GET", f"/sprints/{sprint['key']}", builder.key)
    by_number = await ok(http, "GET", f"/sprints/{sprint['id']}", builder.key)
    assert by_key == by_number == sprint
    assert [(w["wave"], w["status"], len(w["stories"])) for w in sprint["waves"]] == [(1, "open", 3), (2, "locked", 3)]
    assert story(sprint, "story-4")["dependencies"] == ["story-2"]
    tasks = await ok(http, "GET", f"/teams/{world.team.id}/tasks", builder.key, params={"sprint_id": sprint["key"]})
    assert [(t["story_id"], t["sprint_id"]) for t in tasks["items"]] == [
        (f"story-{n}", sprint["id"]) for n in range(1, 7)
    ]


async def test_story_updates_claim_record_progress_and_finish_and_wave_2_then_opens(
    http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    sprint = await new_seed_sprint(http, world, builder.key)
    path = f"/sprints/{sprint['key']}/stories"

    early = await http.patch(f"{API}{path}/story-4", json={"status": "active"}, headers=auth(builder.key))
    error = error_of(early, 409, "conflict")
    assert "waiting for story-1, story-2, story-3" in error["message"]
    claim = await http.post(f"{API}/tasks/{story(sprint, 'story-6')['task_id']}/claim", headers=auth(builder.key))
    assert "blocked" in error_of(claim, 409, "conflict")["message"]

    seed_update = {"status": "active", "progress": 50, "currentAction": "Writing migration scripts"}
    active = await ok(http, "PATCH", f"{path}/story-1", builder.key, json=seed_update)
    assert (active["status"], active["progress"], active["current_action"]) == (
        "claimed",
        50,
        seed_update["currentAction"],
    )
    for story_id, outcome in (("story-1", "done"), ("story-2", "skipped"), ("story-3", "done")):
        if story_id != "story-1":
            await ok(http, "PATCH", f"{path}/{story_id}", builder.key, json={"status": "active"})
        await ok(http, "PATCH", f"/sprints/{sprint['id']}/stories/{story_id}", builder.key, json={"status": outcome})

    after = await ok(http, "GET", f"/sprints/{sprint['id']}", builder.key)
    assert [(w["wave"], w["status"]) for w in after["waves"]] == [(1, "done"), (2, "open")]
    assert (after["done"], after["percent_done"], after["current_wave"]) == (3, 50, 2)
    nxt = await ok(http, "POST", f"/teams/{world.team.id}/tasks/claim-next", builder.key)
    assert nxt["task"]["story_id"] == "story-4"


async def test_complete_is_refused_while_stories_are_open_and_allowed_with_force(
    http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    other = await world.agent("other")
    sprint = await new_seed_sprint(http, world, builder.key)
    path = f"{API}/sprints/{sprint['id']}/complete"

    refused = error_of(await http.post(path, headers=auth(builder.key)), 409, "conflict")
    assert refused["details"]["open_stories"] == [f"story-{n}" for n in range(1, 7)]
    forbidden = await http.post(path, json={"force": True}, headers=auth(other.key))
    assert "only the sprint's creator (builder)" in error_of(forbidden, 403, "forbidden")["message"]
    completed = await ok(http, "POST", f"/sprints/{sprint['id']}/complete", builder.key, json={"force": True})
    assert (completed["status"], completed["counts"]["cancelled"]) == ("completed", 6)
    error_of(await http.post(path, json={"force": True}, headers=auth(builder.key)), 409, "conflict")

    listed = await ok(http, "GET", f"/teams/{world.team.id}/sprints", builder.key, params={"status": "completed"})
    assert [(s["id"], s["status"]) for s in listed["sprints"]] == [(sprint["id"], "completed")]
    late = await http.post(f"{API}/sprints/{sprint['id']}/stories", json={"title": "late"}, headers=auth(builder.key))
    error_of(late, 409, "conflict")


async def test_adding_a_story_answers_201_and_later_waves_wait_for_it(http: httpx.AsyncClient, world: World) -> None:
    manager = await world.manager()
    builder = await world.agent("builder")
    sprint = await new_seed_sprint(http, world, manager.key)
    for story_id in ("story-1", "story-2", "story-3"):
        await ok(http, "POST", f"/tasks/{story(sprint, story_id)['task_id']}/claim", builder.key)
        await ok(http, "POST", f"/tasks/{story(sprint, story_id)['task_id']}/complete", builder.key)

    added = await created(http, f"/sprints/{sprint['key']}/stories", manager.key, {"id": "story-3b", "title": "Seed"})
    assert (added["story_id"], added["wave"], added["status"]) == ("story-3b", 1, "ready")
    after = await ok(http, "GET", f"/sprints/{sprint['id']}", manager.key)
    assert {s["status"] for s in after["waves"][1]["stories"]} == {"blocked"}
    assert "story-3b" in story(after, "story-5")["blocked_reason"]
    forbidden = await http.post(f"{API}/sprints/{sprint['id']}/stories", json={"title": "x"}, headers=auth(builder.key))
    error_of(forbidden, 403, "forbidden")


async def test_bad_requests_and_other_teams_sprints_are_refused(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    sprint = await new_seed_sprint(http, world, builder.key)
    stranger = await (await world.other_team()).agent("stranger")

    error_of(await http.get(f"{API}/sprints/{sprint['id']}", headers=auth(stranger.key)), 404, "not_found")
    error_of(await http.get(f"{API}/sprints/sprint-abc123", headers=auth(builder.key)), 404, "not_found")
    shown = await ok(http, "GET", f"/sprints/{sprint['key']}/stories/story-4", builder.key)
    assert (shown["story_id"], shown["status"], shown["wave"]) == ("story-4", "blocked", 2)
    missing = await http.patch(
        f"{API}/sprints/{sprint['id']}/stories/nope", json={"status": "active"}, headers=auth(builder.key)
    )
    assert "story 'nope' not found" in error_of(missing, 404, "not_found")["message"]
    unknown = await http.post(
        f"{API}/teams/{world.team.id}/sprints",
        json={"projectName": "X", "stories": [{"id": "a", "title": "A", "dependencies": ["zzz"]}]},
        headers=auth(builder.key),
    )
    assert "'zzz', which is not a story of this sprint" in error_of(unknown, 422, "invalid_input")["message"]
    extra = await http.post(
        f"{API}/teams/{world.team.id}/sprints", json={"project": "X", "stories": []}, headers=auth(builder.key)
    )
    error_of(extra, 422, "invalid_input")
    status = await http.patch(
        f"{API}/sprints/{sprint['id']}/stories/story-1", json={"status": "paused"}, headers=auth(builder.key)
    )
    error_of(status, 422, "invalid_input")
    listed = await ok(http, "GET", f"/teams/{world.team.id}/sprints", builder.key)
    assert [s["id"] for s in listed["sprints"]] == [sprint["id"]]
