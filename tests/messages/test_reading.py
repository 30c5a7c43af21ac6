"""Reading: the inbox's order and read state, sent messages, history, and that nobody reads another's mail."""

from datetime import timedelta

import anyio
import pytest
import sqlalchemy as sa

from switchboard.errors import Forbidden, InvalidInput, NotFound
from switchboard.messages.models import HistoryQuery, InboxQuery, MessageDraft
from switchboard.storage import schema as s
from tests.conftest import FakeClock, Member, World


async def send(world: World, sender: Member, target: str, text: str, **fields: object) -> int:
    draft = MessageDraft.model_validate({"target": target, "message": text, **fields})
    return (await world.hub.messages.send_message(sender.principal, draft)).id


async def test_the_inbox_lists_unread_first_high_priority_first_then_oldest(world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    await send(world, builder, "reviewer", "old normal")
    clock.advance(1)
    await send(world, builder, "reviewer", "low", priority="low")
    clock.advance(1)
    await send(world, builder, "reviewer", "urgent", priority="high")
    clock.advance(1)
    await send(world, builder, "reviewer", "new normal")
    hub = world.hub
    first = await hub.messages.get_messages(reviewer.principal, InboxQuery(limit=2))
    assert [m.body for m in first.messages] == ["urgent", "old normal"]
    assert all(m.read_at == clock.now for m in first.messages)
    assert first.unread_remaining == 2
    everything = await hub.messages.get_messages(reviewer.principal, InboxQuery(include_read=True, mark_as_read=False))
    assert [m.body for m in everything.messages] == ["new normal", "low", "urgent", "old normal"]
    assert [m.read_at is None for m in everything.messages] == [True, True, False, False]
    assert everything.unread_remaining == 2


async def test_peeking_leaves_messages_unread_until_mark_read(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    ids = [await send(world, builder, "reviewer", text) for text in ("a", "b")]
    hub = world.hub
    peeked = await hub.messages.get_messages(reviewer.principal, InboxQuery(mark_as_read=False))
    assert [m.id for m in peeked.messages] == ids
    marked = await hub.messages.mark_read(reviewer.principal, [ids[0]])
    again = await hub.messages.mark_read(reviewer.principal, ids)
    assert (marked.newly_read, again.newly_read) == ((ids[0],), (ids[1],))
    assert (await hub.messages.get_messages(reviewer.principal, InboxQuery())).messages == ()


async def test_the_inbox_filters_by_type_and_priority(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    await send(world, builder, "reviewer", "status")
    await send(world, builder, "reviewer", "question", message_type="question")
    await send(world, builder, "reviewer", "loud question", message_type="QUESTION", priority="high")
    hub = world.hub
    questions = await hub.messages.get_messages(reviewer.principal, InboxQuery(message_type="QUESTION"))
    assert [m.body for m in questions.messages] == ["loud question", "question"]
    assert questions.unread_remaining == 1
    low = await hub.messages.get_messages(reviewer.principal, InboxQuery(priority="low"))
    assert low.messages == ()
    with pytest.raises(InvalidInput, match="limit"):
        await hub.messages.get_messages(reviewer.principal, InboxQuery(limit=0))


async def test_a_session_id_is_recorded_as_the_agents_working_session(world: World, clock: FakeClock) -> None:
    reviewer = await world.agent("reviewer", role="reviewer")
    await world.hub.messages.get_messages(reviewer.principal, InboxQuery(), session_id="reviewer-session-1")
    async with world.hub.db.read() as conn:
        rows = (await conn.execute(sa.select(s.agent_sessions).where(s.agent_sessions.c.agent_id == reviewer.id))).all()
        seen = await conn.scalar(sa.select(s.agents.c.last_seen_at).where(s.agents.c.id == reviewer.id))
    assert [(r.session_key, r.status) for r in rows] == [("reviewer-session-1", "running")]
    assert seen == clock.now
    with pytest.raises(InvalidInput, match="session id"):
        await world.hub.messages.get_messages(reviewer.principal, InboxQuery(), session_id=" ")


async def test_nobody_reads_another_agents_messages(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    snoop = await world.agent("snoop", role="analyst")
    private = await send(world, builder, "reviewer", "between us")
    await send(world, snoop, "builder", "hello builder")
    hub = world.hub
    with pytest.raises(NotFound):
        await hub.messages.get_message(snoop.principal, private)
    with pytest.raises(NotFound):
        await hub.messages.mark_read(snoop.principal, [private])
    history = await hub.messages.query_message_history(snoop.principal, HistoryQuery())
    assert [m.body for m in history.items] == ["hello builder"]
    by_thread = await hub.messages.query_message_history(snoop.principal, HistoryQuery(thread_id=private))
    assert by_thread.items == ()
    by_peer = await hub.messages.query_message_history(snoop.principal, HistoryQuery(peer="reviewer"))
    assert by_peer.items == ()
    assert (await hub.messages.get_messages(snoop.principal, InboxQuery(include_read=True))).messages == ()
    assert [m.body for m in (await hub.messages.get_sent_messages(snoop.principal)).items] == ["hello builder"]
    assert (await hub.messages.get_message(reviewer.principal, private)).body == "between us"


async def test_a_message_of_another_team_is_not_found_even_for_its_org_admin_elsewhere(world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("reviewer", role="reviewer")
    private = await send(world, builder, "reviewer", "ours")
    stranger = await (await world.other_team()).agent("stranger")
    with pytest.raises(NotFound):
        await world.hub.messages.get_message(stranger.principal, private)
    with pytest.raises(NotFound):
        await world.hub.messages.query_message_history(stranger.principal, HistoryQuery(), world.team.id)
    assert (await world.hub.messages.get_message(world.admin, private)).body == "ours"


async def test_marking_a_message_that_is_not_yours_marks_nothing(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    mine = await send(world, builder, "reviewer", "for the reviewer")
    theirs = await send(world, reviewer, "builder", "for the builder")
    with pytest.raises(NotFound, match=str(theirs)):
        await world.hub.messages.mark_read(reviewer.principal, [mine, theirs])
    inbox = await world.hub.messages.get_messages(reviewer.principal, InboxQuery(mark_as_read=False))
    assert [(m.id, m.read_at) for m in inbox.messages] == [(mine, None)]


async def test_history_follows_a_thread_a_peer_and_a_time_range(world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    manager = await world.manager()
    start = clock.now
    question = await send(world, builder, "reviewer", "ready?")
    clock.advance(60)
    await send(world, reviewer, "builder", "yes", reply_to=question)
    await send(world, manager, "builder", "status?")
    clock.advance(60)
    await send(world, builder, "reviewer", "new topic")
    hub = world.hub
    thread = await hub.messages.query_message_history(builder.principal, HistoryQuery(thread_id=question))
    assert [m.body for m in thread.items] == ["ready?", "yes"]
    with_reviewer = await hub.messages.query_message_history(builder.principal, HistoryQuery(peer="reviewer"))
    assert [m.body for m in with_reviewer.items] == ["ready?", "yes", "new topic"]
    middle = HistoryQuery(since=start + timedelta(seconds=30), until=start + timedelta(seconds=90))
    assert [m.body for m in (await hub.messages.query_message_history(builder.principal, middle)).items] == [
        "yes",
        "status?",
    ]
    page = await hub.messages.query_message_history(builder.principal, HistoryQuery(limit=3))
    rest = await hub.messages.query_message_history(builder.principal, HistoryQuery(after_id=page.next_cursor))
    assert [m.body for m in page.items + rest.items] == ["ready?", "yes", "status?", "new topic"]
    assert rest.next_cursor is None
    with pytest.raises(InvalidInput, match="unknown peer"):
        await hub.messages.query_message_history(builder.principal, HistoryQuery(peer="ghost"))


async def test_sent_messages_come_newest_first_with_read_counts(world: World) -> None:
    manager = await world.manager()
    one = await world.agent("builder-1")
    await world.agent("builder-2")
    first = await send(world, manager, "builders", "first")
    second = await send(world, manager, "builder-1", "second")
    await world.hub.messages.get_messages(one.principal, InboxQuery())
    page = await world.hub.messages.get_sent_messages(manager.principal)
    assert [(m.id, m.recipients, m.read_count) for m in page.items] == [(second, 1, 1), (first, 2, 1)]
    older = await world.hub.messages.get_sent_messages(manager.principal, limit=1)
    rest = await world.hub.messages.get_sent_messages(manager.principal, before_id=older.next_cursor)
    assert [m.id for m in older.items + rest.items] == [second, first]


async def test_an_admin_sees_the_teams_traffic_but_has_no_inbox(world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("reviewer", role="reviewer")
    await send(world, builder, "reviewer", "hi")
    traffic = await world.hub.messages.query_message_history(world.admin, HistoryQuery(), world.team.id)
    assert [m.body for m in traffic.items] == ["hi"]
    with pytest.raises(Forbidden, match="no inbox"):
        await world.hub.messages.get_messages(world.admin, InboxQuery())
    with pytest.raises(Forbidden, match="no inbox"):
        await world.hub.messages.mark_read(world.admin, [traffic.items[0].id])


async def test_reading_marks_appends_one_event_per_call(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    ids = [await send(world, builder, "reviewer", t) for t in ("a", "b")]
    await world.hub.messages.get_messages(reviewer.principal, InboxQuery())
    await world.hub.messages.get_messages(reviewer.principal, InboxQuery())
    async with world.hub.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(s.events).where(s.events.c.team_id == world.team.id, s.events.c.kind == "messages_read")
            )
        ).all()
    assert [(r.actor, r.data) for r in rows] == [("reviewer", {"message_ids": ids})]


async def test_concurrent_reads_of_one_inbox_never_return_a_message_twice(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    sent = [await send(world, builder, "reviewer", f"note {i}") for i in range(40)]
    results: list[list[int]] = []
    errors: list[Exception] = []

    async def read() -> None:
        # A failure is recorded, not raised: raising would cancel the other readers mid-transaction.
        try:
            inbox = await world.hub.messages.get_messages(reviewer.principal, InboxQuery(limit=10))
            results.append([m.id for m in inbox.messages])
        except Exception as exc:
            errors.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as readers:
            for _ in range(6):
                readers.start_soon(read)
    assert errors == []
    returned = [i for ids in results for i in ids]
    assert len(returned) == len(set(returned))
    assert set(returned) <= set(sent)
    left = await world.hub.messages.get_messages(reviewer.principal, InboxQuery(limit=100))
    assert sorted(returned + [m.id for m in left.messages]) == sent


async def test_listing_read_messages_again_keeps_when_they_were_first_read(world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    old = await send(world, builder, "reviewer", "old")
    first_read = (await world.hub.messages.get_messages(reviewer.principal, InboxQuery())).messages[0].read_at
    clock.advance(60)
    new = await send(world, builder, "reviewer", "new")
    both = await world.hub.messages.get_messages(reviewer.principal, InboxQuery(include_read=True))
    assert [(m.id, m.read_at) for m in both.messages] == [(new, clock.now), (old, first_read)]
    async with world.hub.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(s.events.c.data)
                .where(s.events.c.team_id == world.team.id, s.events.c.kind == "messages_read")
                .order_by(s.events.c.id)
            )
        ).all()
    assert [r.data for r in rows] == [{"message_ids": [old]}, {"message_ids": [new]}]
