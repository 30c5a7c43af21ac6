"""Deliveries reach a real HTTP receiver, signed, retried with backoff, and a failing URL is disabled."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
import sqlalchemy as sa

from switchboard.errors import Forbidden, InvalidInput, NotFound
from switchboard.hub import Hub
from switchboard.storage import schema as s
from switchboard.tasks.models import TaskDraft, Usage
from switchboard.webhooks.delivery import backoff_seconds
from tests.conftest import FakeClock, World
from tests.webhooks.receiver import Receiver


async def deliver(hub: Hub) -> None:
    with anyio.fail_after(5):
        await hub.webhooks.scan()
        await hub.webhooks.deliver_due()


async def finish(world: World, title: str, status: str = "SUCCESS") -> int:
    builder = await world.agent("builder")
    task = await world.hub.tasks.create_task(builder.principal, TaskDraft(title=title))
    await world.hub.claims.claim_task(builder.principal, task.id)
    await world.hub.claims.complete_task(builder.principal, task.id, status, "ok", Usage(), None)
    return task.id


async def test_a_finished_task_and_an_alert_reach_the_receiver_signed(world: World, receiver: Receiver) -> None:
    hub = world.hub
    hook = await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["task.done", "alert"])
    assert hook.secret.startswith("whsec_")
    task_id = await finish(world, "Ship it")
    builder = await world.agent("builder")
    await hub.questions.alerts.send_alert(builder.principal, "main is red", "high")

    await deliver(hub)

    # Deliveries are sent concurrently, so they may arrive in any order.
    assert sorted(receiver.events()) == ["alert", "task.done"]
    done, alert = sorted(receiver.received, key=lambda r: r.event != "task.done")
    assert done.signed_with(hook.secret) and alert.signed_with(hook.secret)
    assert not done.signed_with("whsec_not-the-secret")
    assert done.headers["content-type"] == "application/json"
    assert done.json["event"] == "task.done" and done.json["team_id"] == world.team.id
    assert done.json["data"]["task_id"] == task_id and done.json["data"]["to"] == "done"
    assert alert.json["data"]["message"] == "main is red" and alert.json["data"]["priority"] == "high"
    delivered = await hub.webhooks.list_deliveries(world.admin, hook.webhook.id)
    assert {d.status.value for d in delivered} == {"delivered"}
    assert {str(d.id) for d in delivered} == {r.headers["x-switchboard-delivery"] for r in receiver.received}
    assert all(d.attempts == 1 and d.last_status_code == 200 for d in delivered)


async def test_events_the_webhook_did_not_choose_are_not_sent(world: World, receiver: Receiver) -> None:
    hub = world.hub
    await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["task.failed"])
    await finish(world, "Goes well")
    failed_id = await finish(world, "Goes badly", "FAILED")

    await deliver(hub)

    assert receiver.events() == ["task.failed"]
    assert receiver.received[0].json["data"]["task_id"] == failed_id


async def test_every_event_with_a_star_and_none_from_before_registration(world: World, receiver: Receiver) -> None:
    hub = world.hub
    await finish(world, "Before the webhook")
    await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["*"])
    await finish(world, "After the webhook")

    await deliver(hub)

    assert sorted(receiver.events()) == ["task.claimed", "task.created", "task.done"]


async def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    world: World, receiver: Receiver, clock: FakeClock
) -> None:
    hub = world.hub
    hook = await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["task.done"])
    receiver.answers = [500, 503]
    await finish(world, "Flaky receiver")

    await deliver(hub)
    [pending] = await hub.webhooks.list_deliveries(world.admin, hook.webhook.id)
    assert (pending.status.value, pending.attempts, pending.last_status_code) == ("pending", 1, 500)
    assert pending.next_attempt_at == clock() + timedelta(seconds=backoff_seconds(1))

    clock.advance(backoff_seconds(1) - 1)
    await deliver(hub)
    assert len(receiver.received) == 1, "retried before its backoff ran out"

    clock.advance(1)
    await deliver(hub)
    [pending] = await hub.webhooks.list_deliveries(world.admin, hook.webhook.id)
    assert (pending.status.value, pending.attempts, pending.last_status_code) == ("pending", 2, 503)
    assert pending.next_attempt_at == clock() + timedelta(seconds=backoff_seconds(2)) == clock() + timedelta(seconds=20)

    clock.advance(20)
    await deliver(hub)
    [done] = await hub.webhooks.list_deliveries(world.admin, hook.webhook.id)
    assert (done.status.value, done.attempts, done.last_status_code) == ("delivered", 3, 200)
    assert len({r.headers["x-switchboard-delivery"] for r in receiver.received}) == 1
    assert len(receiver.received) == 3
    assert (await hub.webhooks.get(world.admin, hook.webhook.id)).consecutive_failures == 0


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff_seconds(20) == 3600


async def test_a_delivery_gives_up_after_its_last_attempt(world: World, receiver: Receiver, clock: FakeClock) -> None:
    hub = world.hub
    hub.webhooks.engine.max_attempts = 3
    hook = await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["task.done"])
    receiver.answers = [500, 500, 500, 500]
    await finish(world, "Never arrives")
    for _ in range(5):
        await deliver(hub)
        clock.advance(3600)
    [failed] = await hub.webhooks.list_deliveries(world.admin, hook.webhook.id, "failed")
    assert (failed.attempts, failed.last_status_code, failed.next_attempt_at) == (3, 500, None)
    assert "HTTP 500" in (failed.last_error or "")
    assert len(receiver.received) == 3


async def test_a_webhook_that_keeps_failing_is_disabled_and_reported(
    world: World, receiver: Receiver, clock: FakeClock
) -> None:
    hub = world.hub
    hub.webhooks.engine.disable_after = 3
    hook = await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["task.done"])
    receiver.answers = [500] * 10
    for n in range(3):
        await finish(world, f"Task {n}")
    await deliver(hub)

    disabled = await hub.webhooks.get(world.admin, hook.webhook.id)
    assert not disabled.active and disabled.consecutive_failures == 3
    assert disabled.disabled_reason is not None and "3 deliveries in a row failed" in disabled.disabled_reason
    assert "HTTP 500" in disabled.disabled_reason
    [alert] = await hub.questions.alerts.list_alerts(world.admin, world.team.id)
    assert f"Webhook #{hook.webhook.id}" in alert.message and alert.raised_by == "hub"
    async with hub.db.read() as conn:
        kinds = list(await conn.scalars(sa.select(s.events.c.kind).where(s.events.c.team_id == world.team.id)))
    assert "webhook_disabled" in kinds

    # Nothing is sent while it is disabled; enabling it sends what waited.
    await finish(world, "While disabled")
    clock.advance(3600)
    await deliver(hub)
    assert len(receiver.received) == 3
    receiver.answers = []
    enabled = await hub.webhooks.enable(world.admin, hook.webhook.id)
    assert enabled.active and enabled.disabled_reason is None
    await deliver(hub)
    assert len(receiver.received) == 7
    delivered = await hub.webhooks.list_deliveries(world.admin, hook.webhook.id, "delivered")
    assert len(delivered) == 4


async def test_a_disabled_webhook_is_reported_to_other_webhooks(world: World, receiver: Receiver) -> None:
    hub = world.hub
    hub.webhooks.engine.disable_after = 1
    watcher = await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["webhook.disabled"])
    broken = await hub.webhooks.register(world.admin, world.team.id, "http://127.0.0.1:1/nothing-here", ["alert"])
    await hub.questions.alerts.send_alert(world.admin, "hello", team_id=world.team.id)
    await deliver(hub)
    await deliver(hub)
    assert receiver.events() == ["webhook.disabled"]
    assert receiver.received[0].json["data"]["webhook_id"] == broken.webhook.id
    assert (await hub.webhooks.get(world.admin, watcher.webhook.id)).active


async def test_scans_never_make_two_deliveries_for_one_event(
    world: World, receiver: Receiver, clock: FakeClock
) -> None:
    hub = world.hub
    hook = await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["task.done"])
    await finish(world, "Once only")
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(hub.webhooks.scan)
    await hub.webhooks.scan()
    clock.advance(120)
    await hub.webhooks.scan()
    assert len(await hub.webhooks.list_deliveries(world.admin, hook.webhook.id)) == 1
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(hub.webhooks.deliver_due)
    assert len(receiver.received) == 1


async def test_two_hubs_sharing_a_database_never_deliver_one_event_twice(
    hub: Hub, world: World, receiver: Receiver, clock: FakeClock
) -> None:
    second = Hub(hub.settings, clock)
    try:
        await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["task.done"])
        for n in range(5):
            await finish(world, f"Task {n}")
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                for each in (hub, second, hub, second):
                    group.start_soon(deliver, each)
            await deliver(second)
        assert sorted(r.json["data"]["task_id"] for r in receiver.received) == sorted(
            {r.json["data"]["task_id"] for r in receiver.received}
        )
        assert len(receiver.received) == 5
    finally:
        await second.close()


async def test_only_admins_and_managers_register_and_other_teams_see_nothing(world: World, receiver: Receiver) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    manager = await world.manager()
    with pytest.raises(Forbidden):
        await hub.webhooks.register(builder.principal, None, receiver.url, ["alert"])
    mine = await hub.webhooks.register(manager.principal, None, receiver.url, ["alert"])
    assert mine.webhook.team_id == world.team.id and mine.webhook.created_by == "manager"
    with pytest.raises(Forbidden):
        await hub.webhooks.list_deliveries(builder.principal, mine.webhook.id)

    other = await world.other_team()
    stranger = await other.manager()
    with pytest.raises(NotFound):
        await hub.webhooks.register(stranger.principal, world.team.id, receiver.url, ["alert"])
    for call in (hub.webhooks.get, hub.webhooks.list_deliveries, hub.webhooks.remove, hub.webhooks.enable):
        with pytest.raises(NotFound):
            await call(stranger.principal, mine.webhook.id)
    assert await hub.webhooks.list_webhooks(stranger.principal) == []


@pytest.mark.parametrize(
    ("url", "events", "secret"),
    [
        ("ftp://example.com/hook", ["alert"], None),
        ("not a url", ["alert"], None),
        ("http://example.com:99999/hook", ["alert"], None),
        ("https://example.com/hook", ["task.exploded"], None),
        ("https://example.com/hook", [], None),
        ("https://example.com/hook", ["alert"], "short"),
    ],
)
async def test_bad_registrations_are_refused_and_change_nothing(
    world: World, url: str, events: list[str], secret: str | None
) -> None:
    with pytest.raises(InvalidInput):
        await world.hub.webhooks.register(world.admin, world.team.id, url, events, secret)
    assert await world.hub.webhooks.list_webhooks(world.admin, world.team.id) == []


async def test_a_removed_webhook_is_gone_with_its_deliveries(world: World, receiver: Receiver) -> None:
    hub = world.hub
    hook = await hub.webhooks.register(world.admin, world.team.id, receiver.url, ["task.done"], "my-own-secret-value")
    await finish(world, "Before removal")
    await deliver(hub)
    assert receiver.received[0].signed_with("my-own-secret-value")
    removed = await hub.webhooks.remove(world.admin, hook.webhook.id)
    assert removed.id == hook.webhook.id
    assert await hub.webhooks.list_webhooks(world.admin, world.team.id) == []
    with pytest.raises(NotFound):
        await hub.webhooks.list_deliveries(world.admin, hook.webhook.id)
