"""Sprints through the service: waves enforced by the tasks' dependencies, progress, adding stories, completing."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.sprints.models import Sprint, StoryDraft
from switchboard.tasks.models import TaskStatus
from switchboard.tasks.service import TaskFilters
from switchboard.teams.models import Principal
from tests.conftest import World
from tests.sprints.seed import SEED_CREATE_SPRINT


def drafts(stories: list[dict[str, Any]]) -> list[StoryDraft]:
    return [StoryDraft.parse(s, i) for i, s in enumerate(stories)]


async def seed_sprint(world: World, principal: Principal | None = None) -> Sprint:
    seed = SEED_CREATE_SPRINT
    return await world.hub.sprints.create_sprint(
        principal or world.admin, seed["projectName"], seed["branch"], drafts(seed["stories"]), team_id=world.team.id
    )


def statuses(sprint: Sprint) -> dict[str, str]:
    return {s.story_id: s.task.status.value for s in sprint.stories}


async def finish(world: World, principal: Principal, sprint: Sprint, story_id: str, outcome: str = "SUCCESS") -> None:
    story = sprint.story(story_id)
    assert story is not None
    await world.hub.claims.claim_task(principal, story.task.id)
    await world.hub.claims.complete_task(principal, story.task.id, outcome)


async def test_the_seed_sprint_keeps_its_story_ids_and_opens_only_wave_1(world: World) -> None:
    sprint = await seed_sprint(world)

    assert sprint.key == f"sprint-{sprint.id}"
    assert [s.story_id for s in sprint.stories] == [f"story-{n}" for n in range(1, 7)]
    assert statuses(sprint) == {
        "story-1": "ready",
        "story-2": "ready",
        "story-3": "ready",
        "story-4": "blocked",
        "story-5": "blocked",
        "story-6": "blocked",
    }
    story_4 = sprint.story("story-4")
    assert story_4 is not None and story_4.dependencies == ("story-2",)
    assert story_4.task.blocked_reason is not None
    assert "story-1, story-2, story-3" in story_4.task.blocked_reason
    assert story_4.task.sprint_id == sprint.id and story_4.task.story_id == "story-4"
    shown = sprint.to_json()
    assert (shown["id"], shown["key"], shown["status"]) == (sprint.id, f"sprint-{sprint.id}", "active")
    assert [(w["wave"], w["status"], len(w["stories"])) for w in shown["waves"]] == [(1, "open", 3), (2, "locked", 3)]
    assert (shown["total"], shown["done"], shown["percent_done"], shown["current_wave"]) == (6, 0, 0, 1)


async def test_a_wave_2_story_cannot_be_claimed_while_wave_1_is_open(world: World) -> None:
    builder = await world.agent("builder")
    sprint = await seed_sprint(world)
    story_5 = sprint.story("story-5")
    assert story_5 is not None

    with pytest.raises(Conflict, match="blocked: waiting for story-1, story-2, story-3") as refused:
        await world.hub.claims.claim_task(builder.principal, story_5.task.id)
    assert f"{sprint.key}: wave 2 opens when every earlier wave is done" in refused.value.message

    offered = [await world.hub.claims.claim_next(builder.principal) for _ in range(4)]
    assert [t.story_id if t else None for t in offered] == ["story-1", "story-2", "story-3", None]


async def test_wave_2_opens_when_the_last_wave_1_story_is_done_or_skipped(world: World) -> None:
    builder = await world.agent("builder")
    sprint = await seed_sprint(world)
    await finish(world, builder.principal, sprint, "story-1")
    await finish(world, builder.principal, sprint, "story-3")
    middle = await world.hub.sprints.get_sprint(world.admin, sprint.id)
    assert statuses(middle)["story-5"] == "blocked"

    await finish(world, builder.principal, sprint, "story-2", "SKIPPED")

    after = await world.hub.sprints.get_sprint(world.admin, sprint.key)
    assert [statuses(after)[f"story-{n}"] for n in (4, 5, 6)] == ["ready", "ready", "ready"]
    assert [(w["wave"], w["status"]) for w in after.to_json()["waves"]] == [(1, "done"), (2, "open")]
    assert after.to_json()["current_wave"] == 2
    claimed = await world.hub.claims.claim_next(builder.principal)
    assert claimed is not None and claimed.story_id == "story-4"


async def test_a_story_also_waits_for_a_story_of_its_own_wave_it_depends_on(world: World) -> None:
    builder = await world.agent("builder")
    sprint = await world.hub.sprints.create_sprint(
        world.admin,
        "Billing",
        None,
        drafts([{"id": "model", "title": "Model"}, {"id": "api", "title": "API", "dependencies": ["model"]}]),
        team_id=world.team.id,
    )
    api = sprint.story("api")
    assert api is not None and api.task.status == TaskStatus.BLOCKED
    assert api.task.blocked_reason == "waiting for model of wave 1"
    await finish(world, builder.principal, sprint, "model")
    assert statuses(await world.hub.sprints.get_sprint(world.admin, sprint.id))["api"] == "ready"


@pytest.mark.parametrize(
    ("stories", "message"),
    [
        ([{"id": "a", "title": "A", "dependencies": ["b"]}, {"id": "b", "title": "B", "wave": 2}], "later wave 2"),
        ([{"id": "a", "title": "A", "dependencies": ["nope"]}], "'nope', which is not a story of this sprint"),
        ([{"id": "a", "title": "A", "dependencies": ["b"]}, {"id": "b", "title": "B", "dependencies": ["a"]}], "cycle"),
        ([{"id": "a", "title": "A"}, {"id": "a", "title": "again"}], "used more than once"),
        ([{"id": "no spaces", "title": "A"}], "letters, digits"),
        ([{"id": "a", "title": "A", "wave": 0}], "wave"),
        ([{"id": "a", "title": "A", "target": "nobody-here"}], "nobody-here"),
    ],
)
async def test_invalid_stories_are_refused_and_nothing_is_created(
    world: World, stories: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        await world.hub.sprints.create_sprint(world.admin, "Broken", "main", drafts(stories), team_id=world.team.id)
    assert await world.hub.sprints.list_sprints(world.admin, team_id=world.team.id) == []
    assert (await world.hub.tasks.list_tasks(world.admin, TaskFilters(), world.team.id)).items == ()


async def test_stories_without_ids_are_named_by_their_position(world: World) -> None:
    sprint = await world.hub.sprints.create_sprint(
        world.admin,
        "Docs",
        None,
        drafts([{"title": "Intro"}, {"id": "story-3", "title": "Named"}, {"title": "Third"}]),
        team_id=world.team.id,
    )
    assert [s.story_id for s in sprint.stories] == ["story-1", "story-3", "story-4"]


async def test_update_sprint_story_claims_records_progress_and_completes_through_the_task_rules(world: World) -> None:
    builder = await world.agent("builder")
    sprint = await seed_sprint(world)
    hub = world.hub

    active = await hub.sprints.update_sprint_story(
        builder.principal, sprint.key, "story-1", "active", 50, "Writing migration scripts"
    )
    assert (active.task.status, active.task.holder) == (TaskStatus.CLAIMED, "builder")
    assert (active.task.progress, active.task.current_action) == (50, "Writing migration scripts")
    more = await hub.sprints.update_sprint_story(builder.principal, str(sprint.id), "story-1", progress=80)
    assert (more.task.progress, more.task.attempt) == (80, 1)
    shown = (await hub.sprints.get_sprint(world.admin, sprint.id)).to_json()["waves"][0]["stories"][0]
    assert (shown["progress"], shown["current_action"], shown["holder"]) == (80, "Writing migration scripts", "builder")

    done = await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-1", "done")
    assert (done.task.status, done.task.completed_status) == (TaskStatus.DONE, "SUCCESS")
    with pytest.raises(Conflict, match="you do not hold task"):
        await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-2", "skipped")
    await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-2", "claimed")
    skipped = await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-2", "skipped")
    assert (skipped.task.status, skipped.task.completed_status) == (TaskStatus.DONE, "SKIPPED")
    await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-3", "in_progress")
    back = await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-3", "todo")
    assert (back.task.status, back.task.holder) == (TaskStatus.READY, None)


async def test_update_sprint_story_refuses_a_locked_story_and_bad_input_changing_nothing(world: World) -> None:
    builder = await world.agent("builder")
    sprint = await seed_sprint(world)
    hub = world.hub

    with pytest.raises(Conflict, match=r"story 'story-4' of sprint-\d+: task \d+ is blocked: waiting for story-1"):
        await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-4", "active")
    with pytest.raises(InvalidInput, match="unknown story status 'paused'"):
        await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-1", "paused")
    with pytest.raises(InvalidInput, match="progress"):
        await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-1", "active", 150)
    with pytest.raises(InvalidInput, match="nothing to update"):
        await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-1")
    with pytest.raises(Conflict, match="claim it first"):
        await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-1", progress=10)
    with pytest.raises(NotFound, match="story 'story-9' not found"):
        await hub.sprints.update_sprint_story(builder.principal, sprint.id, "story-9", "active")
    with pytest.raises(NotFound, match="sprint 'sprint-abc123' not found"):
        await hub.sprints.update_sprint_story(builder.principal, "sprint-abc123", "story-1", "active")
    assert set(statuses(await hub.sprints.get_sprint(world.admin, sprint.id)).values()) == {"ready", "blocked"}


async def test_adding_an_earlier_story_blocks_the_later_waves_again(world: World) -> None:
    builder = await world.agent("builder")
    sprint = await seed_sprint(world)
    for story_id in ("story-1", "story-2", "story-3"):
        await finish(world, builder.principal, sprint, story_id)

    added = await world.hub.sprints.add_story_to_sprint(
        world.admin, sprint.id, StoryDraft.parse({"id": "story-1b", "title": "Seed data", "dependencies": ["story-1"]})
    )

    assert (added.story_id, added.wave, added.task.status) == ("story-1b", 1, TaskStatus.READY)
    after = await world.hub.sprints.get_sprint(world.admin, sprint.id)
    assert [statuses(after)[f"story-{n}"] for n in (4, 5, 6)] == ["blocked", "blocked", "blocked"]
    story_5 = after.story("story-5")
    assert story_5 is not None and story_5.task.blocked_reason is not None
    assert "story-1b" in story_5.task.blocked_reason
    await finish(world, builder.principal, after, "story-1b")
    assert statuses(await world.hub.sprints.get_sprint(world.admin, sprint.id))["story-5"] == "ready"


async def test_a_started_wave_cannot_get_a_new_earlier_story(world: World) -> None:
    builder = await world.agent("builder")
    sprint = await seed_sprint(world)
    for story_id in ("story-1", "story-2", "story-3"):
        await finish(world, builder.principal, sprint, story_id)
    story_6 = sprint.story("story-6")
    assert story_6 is not None
    await world.hub.claims.claim_task(builder.principal, story_6.task.id)

    with pytest.raises(Conflict, match=r"a later wave has started \(story-6 \(claimed\)\)"):
        await world.hub.sprints.add_story_to_sprint(world.admin, sprint.id, StoryDraft.parse({"title": "Late"}))
    later = await world.hub.sprints.add_story_to_sprint(
        world.admin, sprint.id, StoryDraft.parse({"title": "Polish", "wave": 3})
    )
    assert (later.story_id, later.wave, later.task.status) == ("story-7", 3, TaskStatus.BLOCKED)


async def test_complete_sprint_is_refused_while_stories_are_open_unless_forced(world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    sprint = await seed_sprint(world, builder.principal)
    await finish(world, builder.principal, sprint, "story-1")
    story_2 = sprint.story("story-2")
    assert story_2 is not None
    await world.hub.claims.claim_task(builder.principal, story_2.task.id)

    with pytest.raises(Conflict, match=r"has 5 open stories: story-2 \(claimed\), story-3 \(ready\)") as refused:
        await world.hub.sprints.complete_sprint(manager.principal, sprint.id)
    assert refused.value.details["open_stories"] == ["story-2", "story-3", "story-4", "story-5", "story-6"]

    completed = await world.hub.sprints.complete_sprint(manager.principal, sprint.key, force=True)
    shown = completed.to_json()
    assert (shown["status"], shown["counts"]["done"], shown["counts"]["cancelled"]) == ("completed", 1, 5)
    assert shown["completed_at"] is not None and shown["current_wave"] is None
    with pytest.raises(Conflict, match="already completed"):
        await world.hub.sprints.complete_sprint(manager.principal, sprint.id, force=True)
    with pytest.raises(Conflict, match="is completed; it takes no new stories"):
        await world.hub.sprints.add_story_to_sprint(manager.principal, sprint.id, StoryDraft.parse({"title": "x"}))


async def test_a_finished_sprint_completes_and_only_its_creator_managers_and_admins_may(world: World) -> None:
    builder = await world.agent("builder")
    other = await world.agent("other")
    sprint = await world.hub.sprints.create_sprint(
        builder.principal, "Small", None, drafts([{"title": "Only"}]), team_id=world.team.id
    )
    await finish(world, builder.principal, sprint, "story-1")

    with pytest.raises(Forbidden, match="only the sprint's creator"):
        await world.hub.sprints.complete_sprint(other.principal, sprint.id)
    completed = await world.hub.sprints.complete_sprint(builder.principal, sprint.id)
    assert completed.to_json()["percent_done"] == 100


async def test_sprints_are_listed_with_progress_and_hidden_from_other_teams(world: World) -> None:
    builder = await world.agent("builder")
    first = await seed_sprint(world)
    second = await seed_sprint(world)
    await finish(world, builder.principal, first, "story-1")
    await world.hub.sprints.complete_sprint(world.admin, second.id, force=True)

    listed = await world.hub.sprints.list_sprints(builder.principal)
    assert [(s.id, s.progress.done, s.progress.percent_done) for s in listed] == [(second.id, 0, 0), (first.id, 1, 16)]
    active = await world.hub.sprints.list_sprints(builder.principal, "active")
    assert [s.id for s in active] == [first.id]
    tasks = await world.hub.tasks.list_tasks(builder.principal, TaskFilters(sprint_id=first.id))
    assert [t.story_id for t in tasks.items] == [f"story-{n}" for n in range(1, 7)]

    stranger = await (await world.other_team()).agent("stranger")
    with pytest.raises(NotFound, match=f"sprint-{first.id} not found"):
        await world.hub.sprints.get_sprint(stranger.principal, first.id)
    with pytest.raises(NotFound):
        await world.hub.sprints.update_sprint_story(stranger.principal, first.id, "story-2", "active")
    assert await world.hub.sprints.list_sprints(stranger.principal) == []
