"""Two hubs dispatching over one database: no agent ever runs two turns at once, and no trigger starts two."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator

import anyio
import pytest

from switchboard.hub import Hub, running_hub
from switchboard.messages.models import MessageDraft
from switchboard.storage import schema as s
from switchboard.tasks.models import TaskDraft
from tests.dispatch.conftest import Scene, dispatching

AGENTS = [f"eng-{i}" for i in range(6)]
ROUNDS = 4


@pytest.fixture
async def second_hub(live_hub: Hub) -> AsyncIterator[Hub]:
    async with running_hub(live_hub.settings) as hub:
        yield hub


async def test_two_dispatchers_under_concurrent_triggers_start_one_turn_per_trigger(
    scene: Scene, second_hub: Hub
) -> None:
    for name in AGENTS:
        await scene.agent(name)
    issued = await scene.hub.keys.create_key(scene.admin, scene.team.id, "lead", "lead key")
    lead = await scene.hub.keys.authenticate(issued.plaintext)
    async with dispatching(scene.hub, scan_seconds=0.2), dispatching(second_hub, scan_seconds=0.2):
        # Triggers arrive at once, through both hubs, while turns of the same agents are starting and ending.
        async with anyio.create_task_group() as group:
            for round_ in range(ROUNDS):
                for i, name in enumerate(AGENTS):
                    via = scene.hub if (round_ + i) % 2 else second_hub
                    draft = MessageDraft(target=name, message=f"round {round_}")
                    group.start_soon(via.messages.send_message, lead, draft)
                    task = TaskDraft(title=f"{name} round {round_}", target=name)
                    group.start_soon(via.tasks.create_task, scene.admin, task, scene.team.id)

        async def every_trigger_answered() -> bool:
            async with scene.hub.db.read() as conn:
                keys = (
                    await conn.execute(
                        s.turn_triggers.select()
                        .join(s.turns, s.turns.c.id == s.turn_triggers.c.turn_id)
                        .where(s.turns.c.team_id == scene.team.id)
                    )
                ).all()
            running = await scene.running_turns()
            return len(keys) == len(AGENTS) * ROUNDS * 2 and not running

        await scene.until(every_trigger_answered, timeout=90)

    turns = await scene.turns()
    assert all(t.ended_at is not None for t in turns)
    keys = Counter(trigger["key"] for t in turns for trigger in t.triggers)
    assert len(keys) == len(AGENTS) * ROUNDS * 2 and set(keys.values()) == {1}
    assert scene.overlaps() == []
    # Each agent's turns follow one another: one ends before the next starts.
    for name in AGENTS:
        mine = sorted((t for t in turns if t.agent == name), key=lambda t: t.started_at)
        for before, after in itertools.pairwise(mine):
            assert before.ended_at is not None and before.ended_at <= after.started_at
    # Every turn ran and read its triggers: the script saw each of its messages once, across all its turns.
    for name in AGENTS:
        prompts = "".join(record["prompt"] for record in scene.records(name))
        assert all(prompts.count(f"{name} round {r}") == 1 for r in range(ROUNDS))
