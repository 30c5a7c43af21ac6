"""Adding a story races with claims and completions: the waves still hold, whichever commits first."""

from __future__ import annotations

import anyio

from switchboard.errors import Conflict
from switchboard.sprints.models import StoryDraft
from switchboard.tasks.models import TaskStatus
from tests.conftest import Member, World


async def race(world: World, builders: list[Member], name: str) -> None:
    """Wave 1's last story completes, a new wave-1 story is added, and three agents ask for work, all at once."""
    hub = world.hub
    sprint = await hub.sprints.create_sprint(
        world.admin, name, None, [StoryDraft(title="first"), StoryDraft(title="later", wave=2)], team_id=world.team.id
    )
    first = sprint.story("story-1")
    assert first is not None
    await hub.claims.claim_task(builders[0].principal, first.task.id)
    refusals: list[Conflict] = []

    async def add() -> None:
        try:
            await hub.sprints.add_story_to_sprint(world.admin, sprint.id, StoryDraft(title="extra"))
        except Conflict as exc:
            refusals.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(hub.claims.complete_task, builders[0].principal, first.task.id)
            group.start_soon(add)
            for builder in builders[1:]:
                group.start_soon(hub.claims.claim_next, builder.principal)

    after = await hub.sprints.get_sprint(world.admin, sprint.id)
    later, extra = after.story("story-2"), after.story("story-3")
    assert later is not None
    if extra is not None:
        # The new wave-1 story went in before wave 2 started: wave 2 waits for it.
        assert extra.task.status != TaskStatus.DONE
        assert later.task.status == TaskStatus.BLOCKED, f"{name}: {later.task}"
    else:
        # Wave 2 was claimed first: a started wave cannot get a new earlier story.
        assert "a later wave has started" in refusals[0].message
        assert later.task.status == TaskStatus.CLAIMED


async def test_a_later_story_is_never_claimed_while_an_earlier_story_is_added_beside_it(world: World) -> None:
    builders = [await world.agent(f"builder-{n}") for n in range(4)]
    for round_ in range(8):
        await race(world, builders, f"Race {round_}")
