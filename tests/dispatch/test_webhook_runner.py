"""A webhook runner: each turn is a signed POST, retried with backoff; a receiver that keeps failing fails the turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchboard.dispatch.models import TriggerKind, TurnStatus
from switchboard.tasks.models import TaskDraft
from tests.dispatch.conftest import Scene, dispatching
from tests.webhooks.receiver import Receiver, running_receiver

SECRET = "a-shared-secret-of-the-agent"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


async def webhook_agent(scene: Scene, name: str, url: str) -> None:
    config = {"runner": {"type": "webhook", "url": url, "secret": SECRET, "attempts": 3}}
    await scene.hub.teams.create_agent(scene.admin, scene.team.id, name, "engineer", config=config)


async def test_a_turn_is_posted_signed_with_the_prompt_and_its_triggers(scene: Scene, receiver: Receiver) -> None:
    await webhook_agent(scene, "remote", receiver.url)
    async with dispatching(scene.hub, hub_url="http://hub.example", webhook_backoff_seconds=0.01):
        task = await scene.hub.tasks.create_task(
            scene.admin, TaskDraft(title="Ship it", target="remote"), scene.team.id
        )
        (turn,) = await scene.ended_turns("remote", 1)
    (delivery,) = receiver.received
    assert delivery.signed_with(SECRET) and not delivery.signed_with("another-secret-entirely")
    body = delivery.json
    assert body["turn_id"] == turn.id and body["agent"] == "remote" and body["task_id"] == task.id
    assert body["trigger"] == TriggerKind.TASK_READY.value and "Ship it" in body["prompt"]
    assert body["hub_url"] == "http://hub.example"
    assert turn.status == TurnStatus.SUCCEEDED and turn.exit_code == 200


async def test_a_failing_receiver_is_retried_and_then_fails_the_turn(scene: Scene, receiver: Receiver) -> None:
    receiver.answers.extend([503, 500, 502])
    await webhook_agent(scene, "remote", receiver.url)
    async with dispatching(scene.hub, webhook_backoff_seconds=0.01):
        await scene.hub.tasks.create_task(scene.admin, TaskDraft(title="Ship it", target="remote"), scene.team.id)
        (turn,) = await scene.ended_turns("remote", 1)
    assert len(receiver.received) == 3
    assert {r.headers["x-switchboard-delivery"] for r in receiver.received} == {f"turn-{turn.id}"}
    assert turn.status == TurnStatus.FAILED and turn.exit_code == 502 and "HTTP 502" in (turn.error or "")


async def test_a_retry_that_succeeds_ends_the_turn_well(scene: Scene, receiver: Receiver) -> None:
    receiver.answers.append(500)
    await webhook_agent(scene, "remote", receiver.url)
    async with dispatching(scene.hub, webhook_backoff_seconds=0.01):
        await scene.hub.tasks.create_task(scene.admin, TaskDraft(title="Ship it", target="remote"), scene.team.id)
        (turn,) = await scene.ended_turns("remote", 1)
    assert len(receiver.received) == 2 and turn.status == TurnStatus.SUCCEEDED
