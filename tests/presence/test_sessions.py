"""Working sessions (the pulse): updated by their agent, listed for the team, closed when silent too long."""

import pytest

from switchboard.errors import Forbidden, InvalidInput, TooLarge
from tests.conftest import FakeClock, World


async def test_an_update_opens_the_session_and_later_ones_change_it(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    opened = await hub.sessions.update_session(builder.principal, "builder-1", progress=10, state={"step": "plan"})
    clock.advance(30)
    later = await hub.sessions.update_session(builder.principal, "builder-1", "blocked", 40.4, current_action="tests")
    assert (opened.status, opened.progress, opened.state) == ("running", 10, {"step": "plan"})
    assert (later.id, later.status, later.progress, later.current_action) == (opened.id, "blocked", 40, "tests")
    assert later.state == {"step": "plan"} and later.updated_at == clock.now and later.ended_at is None
    listed = await hub.sessions.list_sessions(world.admin, world.team.id)
    assert [(s.agent, s.session_id, s.status) for s in listed] == [("builder", "builder-1", "blocked")]


async def test_done_ends_a_session_and_it_leaves_the_open_list(world: World) -> None:
    hub = world.hub
    builder, reviewer = await world.agent("builder"), await world.agent("reviewer", role="reviewer")
    await hub.sessions.update_session(builder.principal, "a", "running")
    ended = await hub.sessions.update_session(builder.principal, "b", "done", 100)
    await hub.sessions.update_session(reviewer.principal, "r", "idle")
    assert ended.ended_at is not None
    open_ones = await hub.sessions.list_sessions(builder.principal)
    assert sorted((s.agent, s.session_id) for s in open_ones) == [("builder", "a"), ("reviewer", "r")]
    everything = await hub.sessions.list_sessions(builder.principal, agent="builder", include_ended=True)
    assert sorted(s.session_id for s in everything) == ["a", "b"]


async def test_cachebash_status_text_and_state_words_are_understood(world: World) -> None:
    builder = await world.agent("builder")
    session = await world.hub.sessions.update_session(
        builder.principal, "s", status="Implementing the auth endpoint", state="complete", progress=100
    )
    assert (session.status, session.current_action, session.ended_at is not None) == (
        "done",
        "Implementing the auth endpoint",
        True,
    )


async def test_a_session_silent_past_the_timeout_is_closed(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    await hub.teams.update_settings(world.admin, world.team.id, {"session_timeout_seconds": 600})
    await hub.sessions.update_session(builder.principal, "quiet", "running")
    await hub.sessions.update_session(builder.principal, "chatty", "running")
    clock.advance(400)
    await hub.sessions.update_session(builder.principal, "chatty", progress=50)
    clock.advance(201)
    # On PostgreSQL the database is shared by the session's tests, whose sessions may fall silent too.
    assert await hub.sessions.close_silent() >= 1
    assert await hub.sessions.close_silent() == 0
    sessions = {s.session_id: s for s in await hub.sessions.list_sessions(builder.principal, include_ended=True)}
    assert (sessions["quiet"].status, sessions["quiet"].ended_at) == ("closed", clock.now)
    assert (sessions["chatty"].status, sessions["chatty"].ended_at) == ("running", None)


async def test_bad_session_updates_are_refused_and_change_nothing(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    with pytest.raises(InvalidInput, match="progress"):
        await hub.sessions.update_session(builder.principal, "s", progress=101)
    with pytest.raises(InvalidInput, match="state"):
        await hub.sessions.update_session(builder.principal, "s", state="dancing")
    with pytest.raises(TooLarge, match="state"):
        await hub.sessions.update_session(builder.principal, "s", state={"x": "y" * 70_000})
    with pytest.raises(InvalidInput, match="session id"):
        await hub.sessions.update_session(builder.principal, "  ")
    with pytest.raises(Forbidden):
        await hub.sessions.update_session(world.admin, "s")
    assert await hub.sessions.list_sessions(builder.principal, include_ended=True) == []


async def test_another_teams_sessions_are_not_visible(world: World) -> None:
    hub = world.hub
    other = await world.other_team()
    outsider = await other.agent("outsider")
    await hub.sessions.update_session(outsider.principal, "theirs")
    builder = await world.agent("builder")
    assert await hub.sessions.list_sessions(builder.principal) == []
    assert len(await hub.sessions.list_sessions(world.admin, other.team.id)) == 1
