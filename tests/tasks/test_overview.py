"""The board and the dependency graph people watch: what they show of a team's tasks."""

from __future__ import annotations

import pytest

from switchboard.errors import NotFound
from switchboard.sprints.models import StoryDraft
from switchboard.tasks.models import TaskDraft
from tests.conftest import World


async def test_the_board_shows_open_tasks_and_the_latest_finished_with_every_status_count(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    tasks = await hub.tasks.create_tasks_batch(world.admin, [TaskDraft(title=f"t{i}") for i in range(5)], world.team.id)
    for task in tasks[:3]:
        await hub.claims.claim_task(builder.principal, task.id)
        await hub.claims.complete_task(builder.principal, task.id, "SUCCESS")

    board = await hub.overview.board(world.admin, world.team.id, finished_shown=2)

    assert [(t.id, t.status.value) for t in board.cards] == [
        (tasks[3].id, "ready"),
        (tasks[4].id, "ready"),
        (tasks[2].id, "done"),
        (tasks[1].id, "done"),
    ]
    assert board.counts == {"ready": 2, "done": 3}
    assert not board.truncated


async def test_board_cards_leave_out_instructions_and_results(world: World) -> None:
    await world.hub.tasks.create_task(world.admin, TaskDraft(title="Long", instructions="x" * 1000), world.team.id)

    card = (await world.hub.overview.board(world.admin, world.team.id)).to_json()["tasks"][0]

    assert card["title"] == "Long"
    assert "instructions" not in card and "result" not in card


async def test_another_teams_board_is_not_found(world: World) -> None:
    other = await world.other_team()
    outsider = await other.agent("outsider")

    with pytest.raises(NotFound):
        await world.hub.overview.board(outsider.principal, world.team.id)


async def test_the_graph_has_open_tasks_with_their_depth_and_one_edge_per_dependency(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    drafts = [
        TaskDraft(title="finished", ref="f"),
        TaskDraft(title="root", ref="a"),
        TaskDraft(title="middle", ref="b", depends_on=["a"]),
        TaskDraft(title="leaf", ref="c", depends_on=["a", "b", "f"]),
    ]
    done, root, middle, leaf = await hub.tasks.create_tasks_batch(world.admin, drafts, world.team.id)
    await hub.claims.claim_task(builder.principal, done.id)
    await hub.claims.complete_task(builder.principal, done.id, "SUCCESS")

    graph = await hub.overview.graph(world.admin, world.team.id)
    everything = await hub.overview.graph(world.admin, world.team.id, include_finished=True)

    assert [t.id for t in graph.tasks] == [root.id, middle.id, leaf.id]
    assert graph.depth == {root.id: 0, middle.id: 1, leaf.id: 2}
    assert sorted(graph.edges) == sorted([(root.id, middle.id), (root.id, leaf.id), (middle.id, leaf.id)])
    assert (done.id, leaf.id) in everything.edges and len(everything.edges) == 4


async def test_the_graph_of_a_sprint_has_its_stories_only(world: World) -> None:
    hub = world.hub
    await hub.tasks.create_task(world.admin, TaskDraft(title="not in the sprint"), world.team.id)
    stories = [
        StoryDraft.parse({"id": "s1", "title": "one", "wave": 1}),
        StoryDraft.parse({"id": "s2", "title": "two", "wave": 2, "dependencies": ["s1"]}),
    ]
    sprint = await hub.sprints.create_sprint(world.admin, "Project", None, stories, None, world.team.id)

    graph = await hub.overview.graph(world.admin, world.team.id, sprint_id=sprint.id)

    assert sorted(t.title for t in graph.tasks) == ["one", "two"]
    assert len(graph.edges) == 1
