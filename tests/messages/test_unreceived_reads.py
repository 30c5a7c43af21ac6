"""Messages marked read for a caller who is gone before it receives them are unread again at once."""

from __future__ import annotations

from collections.abc import Iterable

import anyio
import pytest

from switchboard.messages.models import InboxQuery, MessageDraft
from tests.conftest import World


async def test_a_reader_cancelled_after_its_read_commits_finds_the_messages_unread_next_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = world.hub
    reader = await world.agent("reader")
    for text in ("first", "second"):
        await hub.messages.send_message(world.admin, MessageDraft(target="reader", message=text), world.team.id)
    reader_scope = anyio.CancelScope()
    announce = hub.db.notifier.publish

    async def cancel_the_reader(team_ids: Iterable[int]) -> None:
        # Announced once the read committed: the messages are marked read, the answer not yet returned.
        reader_scope.cancel()
        await announce(team_ids)

    monkeypatch.setattr(hub.db.notifier, "publish", cancel_the_reader)
    with anyio.fail_after(10), reader_scope:
        await hub.messages.get_messages(reader.principal, InboxQuery(limit=50))
    monkeypatch.setattr(hub.db.notifier, "publish", announce)

    assert reader_scope.cancelled_caught
    inbox = await hub.messages.get_messages(reader.principal, InboxQuery(limit=50))
    assert [m.body for m in inbox.messages] == ["first", "second"]
    assert inbox.unread_remaining == 0
