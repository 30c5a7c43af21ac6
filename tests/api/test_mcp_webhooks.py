"""Registering webhooks and reading their deliveries through the MCP tools."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import World
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


async def test_a_manager_registers_a_webhook_and_reads_its_deliveries(
    app: HubApp, world: World, receiver: Receiver
) -> None:
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        hook = await call(client, "register_webhook", {"url": receiver.url, "events": ["alert", "task.done"]})
        await call(client, "send_alert", {"message": "deploy is stuck", "priority": "high"})
        with anyio.fail_after(5):
            await world.hub.webhooks.scan()
            await world.hub.webhooks.deliver_due()
        listed = await call(client, "list_webhooks")
        deliveries = await call(client, "list_webhook_deliveries", {"webhookId": hook["id"], "status": "delivered"})
        removed = await call(client, "remove_webhook", {"webhook_id": hook["id"]})
        after = await call(client, "list_webhooks")

    assert hook["events"] == ["alert", "task.done"] and hook["active"] and hook["secret"]
    assert [w["id"] for w in listed["webhooks"]] == [hook["id"]]
    assert "secret" not in listed["webhooks"][0]
    [delivery] = deliveries["deliveries"]
    assert (delivery["event"], delivery["status"], delivery["attempts"]) == ("alert", "delivered", 1)
    assert receiver.received[0].signed_with(hook["secret"])
    assert receiver.received[0].json == delivery["payload"]
    assert removed["id"] == hook["id"] and after["webhooks"] == []


async def test_events_may_be_given_as_a_comma_separated_string(app: HubApp, world: World) -> None:
    async with mcp_client(app, world.admin_key) as client:
        hook = await call(
            client,
            "register_webhook",
            {"url": "https://example.com/hook", "events": "task.failed, question.asked", "teamId": world.team.id},
        )
    assert hook["events"] == ["task.failed", "question.asked"]


async def test_engineers_cannot_see_or_register_webhooks(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        hook = await call(client, "register_webhook", {"url": "https://example.com/hook", "events": ["*"]})
        assert {"register_webhook", "list_webhooks", "remove_webhook"} <= {
            t.name for t in (await client.list_tools()).tools
        }
    async with mcp_client(app, builder.key) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        error = await refused(client, "register_webhook", {"url": "https://example.com/hook", "events": ["alert"]})
        listing = await refused(client, "list_webhooks")
        deliveries = await refused(client, "list_webhook_deliveries", {"webhook_id": hook["id"]})
    assert not names & {"register_webhook", "list_webhooks", "list_webhook_deliveries", "remove_webhook"}
    assert error["code"] == listing["code"] == deliveries["code"] == "forbidden"
    assert "only a manager or an admin may register webhooks" in error["message"]


async def test_another_teams_webhook_is_not_found_and_bad_input_is_refused(app: HubApp, world: World) -> None:
    manager = await world.manager()
    stranger = await (await world.other_team()).manager()
    async with mcp_client(app, manager.key) as client:
        hook = await call(client, "register_webhook", {"url": "https://example.com/hook", "events": ["alert"]})
        unknown = await refused(
            client, "register_webhook", {"url": "https://example.com/hook", "events": ["task.exploded"]}
        )
        scheme = await refused(client, "register_webhook", {"url": "file:///etc/passwd", "events": ["alert"]})
    async with mcp_client(app, stranger.key) as client:
        missing = await refused(client, "remove_webhook", {"webhook_id": hook["id"]})
        hidden = await refused(client, "list_webhook_deliveries", {"webhook_id": hook["id"]})
    assert unknown["code"] == scheme["code"] == "invalid_input"
    assert "task.exploded" in unknown["message"]
    assert missing["code"] == hidden["code"] == "not_found"
    assert len(await world.hub.webhooks.list_webhooks(manager.principal)) == 1
