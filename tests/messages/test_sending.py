"""Sending: who a message reaches, who it comes from, and what is refused (storing nothing)."""

from typing import Any

import pytest
import sqlalchemy as sa

from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from switchboard.hub import Hub
from switchboard.messages.models import InboxQuery, MessageDraft
from switchboard.storage import schema as s
from switchboard.tasks.models import TaskDraft
from tests.conftest import Member, World


async def stored_messages(world: World) -> int:
    """Messages of the world's team (the PostgreSQL database is shared by every test of a session)."""
    async with world.hub.db.read() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).where(s.messages.c.team_id == world.team.id))
    return int(count or 0)


async def inbox_bodies(hub: Hub, member: Member, **query: Any) -> list[str]:
    inbox = await hub.messages.get_messages(member.principal, InboxQuery(**query))
    return [m.body for m in inbox.messages]


async def test_a_direct_message_is_delivered_to_its_target_as_sent_by_the_caller(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    sent = await world.hub.messages.send_message(
        builder.principal,
        MessageDraft(source="builder", target="reviewer", message="PR #42 ready", message_type="STATUS"),
    )
    assert (sent.sender, sent.sender_agent_id, sent.target, sent.target_kind) == (
        "builder",
        builder.id,
        "reviewer",
        "agent",
    )
    assert (sent.recipients, sent.thread_id, sent.priority.label) == (1, sent.id, "normal")
    inbox = await world.hub.messages.get_messages(reviewer.principal, InboxQuery())
    assert [(m.id, m.sender, m.body) for m in inbox.messages] == [(sent.id, "builder", "PR #42 ready")]


async def test_a_source_naming_someone_else_is_refused_and_nothing_is_stored(world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("reviewer", role="reviewer")
    with pytest.raises(Forbidden, match="'reviewer' is not you"):
        await world.hub.messages.send_message(
            builder.principal, MessageDraft(source="reviewer", target="reviewer", message="x")
        )
    assert await stored_messages(world) == 0
    by_id = await world.hub.messages.send_message(
        builder.principal, MessageDraft(source=builder.id, target="reviewer", message="y")
    )
    assert by_id.sender == "builder"


async def test_an_admin_key_may_message_agents_but_never_as_one_of_them(world: World) -> None:
    manager = await world.manager()
    await world.agent("builder")
    with pytest.raises(Forbidden, match="admin key"):
        await world.hub.messages.send_message(
            world.admin, MessageDraft(source=manager.id, target="builder", message="x"), world.team.id
        )
    sent = await world.hub.messages.send_message(
        world.admin, MessageDraft(target="builder", message="hello"), world.team.id
    )
    assert (sent.sender, sent.sender_agent_id) == (world.admin.actor, None)


async def test_an_unknown_or_missing_target_is_refused_and_nothing_is_stored(world: World) -> None:
    builder = await world.agent("builder")
    for target in ("nobody-here", "@wizard", "", None, "none"):
        with pytest.raises(InvalidInput, match="target"):
            await world.hub.messages.send_message(builder.principal, MessageDraft(target=target, message="hello?"))
    assert await stored_messages(world) == 0


async def test_a_multicast_to_builders_reaches_each_member_with_its_own_read_state(world: World) -> None:
    manager = await world.manager()
    one = await world.agent("builder-1")
    two = await world.agent("builder-2")
    reviewer = await world.agent("reviewer", role="reviewer")
    sent = await world.hub.messages.send_message(
        manager.principal, MessageDraft(target="builders", message="branch is feature/users", message_type="DIRECTIVE")
    )
    assert sent.recipients == 2
    assert await inbox_bodies(world.hub, one) == ["branch is feature/users"]
    assert await inbox_bodies(world.hub, one) == []
    assert await inbox_bodies(world.hub, two, mark_as_read=False) == ["branch is feature/users"]
    assert await inbox_bodies(world.hub, two) == ["branch is feature/users"]
    assert await inbox_bodies(world.hub, reviewer) == []
    receipts = (await world.hub.messages.get_message(manager.principal, sent.id)).receipts
    assert receipts is not None and [(r.agent, r.read_at is not None) for r in receipts] == [
        ("builder-1", True),
        ("builder-2", True),
    ]


async def test_roles_and_all_expand_to_agents_at_send_time_without_the_sender(world: World) -> None:
    manager = await world.manager()
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    to_role = await world.hub.messages.send_message(builder.principal, MessageDraft(target="@reviewer", message="look"))
    to_all = await world.hub.messages.send_message(builder.principal, MessageDraft(target="all", message="lunch"))
    late = await world.agent("late")
    assert (to_role.target, to_role.recipients, to_all.recipients) == ("@reviewer", 1, 2)
    assert await inbox_bodies(world.hub, reviewer) == ["look", "lunch"]
    assert await inbox_bodies(world.hub, manager) == ["lunch"]
    assert await inbox_bodies(world.hub, builder) == []
    assert await inbox_bodies(world.hub, late) == []


async def test_a_group_with_nobody_but_the_sender_is_refused(world: World) -> None:
    manager = await world.manager()
    with pytest.raises(InvalidInput, match="nobody would receive"):
        await world.hub.messages.send_message(manager.principal, MessageDraft(target="council", message="alone"))
    with pytest.raises(InvalidInput, match="nobody would receive"):
        await world.hub.messages.send_message(manager.principal, MessageDraft(target="intelligence", message="empty"))
    assert await stored_messages(world) == 0


async def test_another_teams_agents_are_unknown_targets_and_its_team_is_not_found(world: World) -> None:
    builder = await world.agent("builder")
    other = await world.other_team()
    stranger = await other.agent("stranger")
    with pytest.raises(InvalidInput, match="unknown target"):
        await world.hub.messages.send_message(builder.principal, MessageDraft(target="stranger", message="psst"))
    with pytest.raises(InvalidInput, match="unknown target"):
        await world.hub.messages.send_message(builder.principal, MessageDraft(target=stranger.id, message="psst"))
    with pytest.raises(NotFound):
        await world.hub.messages.send_message(
            stranger.principal, MessageDraft(target="builder", message="psst"), world.team.id
        )
    assert await stored_messages(world) == 0


async def test_types_priorities_and_size_are_checked_before_anything_is_stored(world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("reviewer", role="reviewer")
    with pytest.raises(InvalidInput, match="message_type"):
        await world.hub.messages.send_message(
            builder.principal, MessageDraft(target="reviewer", message="x", message_type="GOSSIP")
        )
    with pytest.raises(InvalidInput, match="priority"):
        await world.hub.messages.send_message(
            builder.principal, MessageDraft(target="reviewer", message="x", priority="critical")
        )
    with pytest.raises(TooLarge, match="65537 bytes"):
        await world.hub.messages.send_message(builder.principal, MessageDraft(target="reviewer", message="x" * 65537))
    with pytest.raises(InvalidInput, match="message is required"):
        await world.hub.messages.send_message(builder.principal, MessageDraft(target="reviewer", message="  "))
    assert await stored_messages(world) == 0


async def test_a_reply_joins_the_thread_of_the_message_it_answers(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    task = await world.hub.tasks.create_task(builder.principal, TaskDraft(title="add /api/users"))
    first = await world.hub.messages.send_message(
        builder.principal, MessageDraft(target="reviewer", message="ready?", task_id=task.id)
    )
    reply = await world.hub.messages.send_message(
        reviewer.principal, MessageDraft(target="builder", message="approved", reply_to=first.id, message_type="RESULT")
    )
    again = await world.hub.messages.send_message(
        builder.principal, MessageDraft(target="reviewer", message="merged", thread_id=first.id)
    )
    assert (first.thread_id, first.task_id) == (first.id, task.id)
    assert (reply.thread_id, reply.reply_to) == (first.id, first.id)
    assert again.thread_id == first.id


async def test_links_to_unknown_or_unseen_messages_threads_and_tasks_are_refused(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    outsider = await world.agent("outsider", role="analyst")
    private = await world.hub.messages.send_message(
        builder.principal, MessageDraft(target="reviewer", message="secret")
    )
    other_task = await world.hub.tasks.create_task(
        world.admin, TaskDraft(title="elsewhere"), (await world.other_team()).team.id
    )
    for draft, field in (
        (MessageDraft(target="builder", message="x", reply_to=private.id), "reply_to"),
        (MessageDraft(target="builder", message="x", reply_to=999_999), "reply_to"),
        (MessageDraft(target="builder", message="x", thread_id=999_999), "thread_id"),
        (MessageDraft(target="builder", message="x", task_id=other_task.id), "task_id"),
    ):
        with pytest.raises(InvalidInput, match=field):
            await world.hub.messages.send_message(outsider.principal, draft)
    with pytest.raises(InvalidInput, match="belongs to thread"):
        await world.hub.messages.send_message(
            reviewer.principal, MessageDraft(target="builder", message="x", reply_to=private.id, thread_id=12345)
        )
    assert await stored_messages(world) == 1


async def test_an_idempotency_key_returns_the_first_message_and_refuses_another_body(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    draft = MessageDraft(target="reviewer", message="once")
    first = await world.hub.messages.send_message(builder.principal, draft, idempotency_key="k-1")
    again = await world.hub.messages.send_message(builder.principal, draft, idempotency_key="k-1")
    assert again.id == first.id
    with pytest.raises(Conflict, match="different request"):
        await world.hub.messages.send_message(
            builder.principal, MessageDraft(target="reviewer", message="twice"), idempotency_key="k-1"
        )
    with pytest.raises(Conflict):
        await world.hub.messages.send_message(
            reviewer.principal, MessageDraft(target="builder", message="once"), idempotency_key="k-1"
        )
    assert await stored_messages(world) == 1


async def test_sending_appends_an_event_naming_the_recipients(world: World) -> None:
    manager = await world.manager()
    one = await world.agent("builder-1")
    two = await world.agent("builder-2")
    sent = await world.hub.messages.send_message(manager.principal, MessageDraft(target="builders", message="go"))
    async with world.hub.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(s.events).where(s.events.c.team_id == world.team.id, s.events.c.kind == "message_sent")
            )
        ).all()
    assert [(r.actor, r.data) for r in rows] == [
        ("manager", {"message_id": sent.id, "target": "builders", "recipients": [one.id, two.id]})
    ]
