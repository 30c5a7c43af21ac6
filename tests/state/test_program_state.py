"""Program state through the service: versions, merge and replace, history, who may read and write."""

import pytest
import sqlalchemy as sa

from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from switchboard.hub import Hub
from switchboard.limits import PROGRAM_STATE_MAX_BYTES
from switchboard.storage import schema as s
from tests.conftest import FakeClock, World

SUMMARY = {
    "lastTask": {"taskId": "abc123", "title": "Add /api/users endpoint", "outcome": "completed"},
    "activeWorkItems": ["Working on user management feature", "3 tasks completed today"],
    "openQuestions": ["Should we add rate limiting to all endpoints or just /api/users?"],
}


async def _versions(hub: Hub, agent_id: int) -> int:
    async with hub.db.read() as conn:
        count: int = await conn.scalar(
            sa.select(sa.func.count()).where(s.program_state_versions.c.agent_id == agent_id)
        )
    return count


async def test_an_agent_that_never_wrote_reads_version_0_and_an_empty_document(world: World) -> None:
    builder = await world.agent("builder")
    state = await world.hub.states.get_program_state(builder.principal)
    assert state.to_json() == {
        "program_id": "builder",
        "agent_id": builder.id,
        "team_id": world.team.id,
        "version": 0,
        "state": {},
        "context_summary": None,
        "updated_by": None,
        "updated_at": None,
    }


async def test_the_context_summary_written_in_one_session_is_read_back_by_a_new_hub(world: World) -> None:
    builder = await world.agent("builder")
    written = await world.hub.states.update_program_state(builder.principal, "builder", context_summary=SUMMARY)
    later = Hub(world.hub.settings, world.hub.clock)
    try:
        read = await later.states.get_program_state(builder.principal, "builder")
    finally:
        await later.close()
    assert written.version == read.version == 1
    assert read.context_summary == SUMMARY
    assert read.state == {"contextSummary": SUMMARY}
    assert read.updated_by == "builder"


async def test_merge_replaces_top_level_keys_and_null_removes_one(world: World, clock: FakeClock) -> None:
    builder = await world.agent("builder")
    states = world.hub.states
    await states.update_program_state(builder.principal, state={"branch": "main", "notes": ["a"], "step": 1})
    clock.advance(5)
    merged = await states.update_program_state(
        builder.principal, context_summary="halfway", state={"step": 2, "notes": None}
    )
    assert merged.version == 2
    assert merged.state == {"branch": "main", "step": 2, "contextSummary": "halfway"}
    assert merged.updated_at == clock.now


async def test_replace_makes_the_update_the_whole_document(world: World) -> None:
    builder = await world.agent("builder")
    states = world.hub.states
    await states.update_program_state(builder.principal, context_summary=SUMMARY, state={"branch": "main"})
    replaced = await states.update_program_state(builder.principal, state={"fresh": True}, mode="replace")
    assert replaced.state == {"fresh": True}
    assert replaced.context_summary is None
    assert (await states.get_program_state(builder.principal)).state == {"fresh": True}


async def test_a_stale_expected_version_is_refused_and_writes_nothing(world: World) -> None:
    builder = await world.agent("builder")
    states = world.hub.states
    await states.update_program_state(builder.principal, state={"step": 1}, expected_version=0)
    await states.update_program_state(builder.principal, state={"step": 2}, expected_version=1)
    with pytest.raises(Conflict) as refused:
        await states.update_program_state(builder.principal, state={"step": "stale"}, expected_version=1)
    assert refused.value.details == {"expected_version": 1, "current_version": 2}
    assert "version 2" in refused.value.message
    current = await states.get_program_state(builder.principal)
    assert (current.version, current.state) == (2, {"step": 2})
    assert await _versions(world.hub, builder.id) == 2


async def test_expecting_version_0_refuses_once_a_state_exists(world: World) -> None:
    builder = await world.agent("builder")
    await world.hub.states.update_program_state(builder.principal, state={"a": 1})
    with pytest.raises(Conflict):
        await world.hub.states.update_program_state(builder.principal, state={"a": 2}, expected_version=0)


async def test_history_lists_every_version_newest_first_and_pages(world: World) -> None:
    builder = await world.agent("builder")
    states = world.hub.states
    for step in range(1, 6):
        await states.update_program_state(builder.principal, state={"step": step})
    await states.update_program_state(builder.principal, state={"done": True}, mode="replace")

    first = await states.get_program_state_history(builder.principal, limit=4)
    assert [v.version for v in first.versions] == [6, 5, 4, 3]
    assert first.versions[0].to_json()["mode"] == "replace"
    assert first.versions[0].state == {"done": True}
    assert first.versions[1].state == {"step": 5}
    assert first.current_version == 6
    assert first.next_before_version == 3
    rest = await states.get_program_state_history(builder.principal, limit=4, before_version=first.next_before_version)
    assert [(v.version, v.mode.value) for v in rest.versions] == [(2, "merge"), (1, "merge")]
    assert rest.next_before_version is None


async def test_each_update_appends_an_event(world: World) -> None:
    builder = await world.agent("builder")
    await world.hub.states.update_program_state(builder.principal, state={"a": 1})
    await world.hub.states.update_program_state(builder.principal, state={"b": 1}, mode="replace")
    async with world.hub.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(s.events)
                .where(s.events.c.team_id == world.team.id, s.events.c.kind == "program_state_updated")
                .order_by(s.events.c.id)
            )
        ).all()
    assert [(r.team_id, r.task_id, r.actor, r.data) for r in rows] == [
        (world.team.id, None, "builder", {"agent": "builder", "version": 1, "mode": "merge"}),
        (world.team.id, None, "builder", {"agent": "builder", "version": 2, "mode": "replace"}),
    ]


async def test_an_agent_is_named_by_its_name_or_its_id(world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    await world.hub.states.update_program_state(builder.principal, str(builder.id), state={"a": 1})
    by_id = await world.hub.states.get_program_state(manager.principal, builder.id)
    by_name = await world.hub.states.get_program_state(manager.principal, "builder")
    assert by_id == by_name
    assert by_id.state == {"a": 1}


async def test_another_engineers_state_can_be_neither_written_nor_read(world: World) -> None:
    builder = await world.agent("builder")
    snoop = await world.agent("snoop")
    await world.hub.states.update_program_state(builder.principal, state={"secret": 1})
    with pytest.raises(Forbidden) as write:
        await world.hub.states.update_program_state(snoop.principal, "builder", state={"secret": 2})
    with pytest.raises(Forbidden):
        await world.hub.states.get_program_state(snoop.principal, "builder")
    with pytest.raises(Forbidden):
        await world.hub.states.get_program_state_history(snoop.principal, "builder")
    assert "only builder itself" in write.value.message
    assert (await world.hub.states.get_program_state(builder.principal)).state == {"secret": 1}


async def test_managers_and_admins_read_their_teams_states_but_do_not_write_them(world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    await world.hub.states.update_program_state(builder.principal, context_summary=SUMMARY)
    states = world.hub.states
    for reader in (manager.principal, world.admin):
        assert (await states.get_program_state(reader, "builder", world.team.id)).context_summary == SUMMARY
        history = await states.get_program_state_history(reader, builder.id)
        assert [v.version for v in history.versions] == [1]
    for writer in (manager.principal, world.admin):
        with pytest.raises(Forbidden):
            await world.hub.states.update_program_state(writer, "builder", state={"hijack": True})
    assert await _versions(world.hub, builder.id) == 1


async def test_another_teams_agent_is_not_found(world: World) -> None:
    other = await world.other_team()
    stranger = await other.agent("stranger")
    await world.hub.states.update_program_state(stranger.principal, state={"theirs": True})
    builder = await world.agent("builder")
    manager = await world.manager()
    for reader in (builder.principal, manager.principal):
        for name in ("stranger", stranger.id):
            with pytest.raises(NotFound):
                await world.hub.states.get_program_state(reader, name)
    with pytest.raises(NotFound):
        await world.hub.states.update_program_state(builder.principal, stranger.id, state={"x": 1})
    with pytest.raises(NotFound):
        await world.hub.states.get_program_state(world.admin, "stranger", team_id=world.team.id)
    assert (await world.hub.states.get_program_state(world.admin, "stranger", team_id=other.team.id)).version == 1


async def test_an_unknown_agent_is_not_found(world: World) -> None:
    builder = await world.agent("builder")
    with pytest.raises(NotFound):
        await world.hub.states.get_program_state(builder.principal, "nobody")
    with pytest.raises(NotFound):
        await world.hub.states.get_program_state(builder.principal, 2**40)


async def test_a_document_over_256_kib_is_refused_and_writes_nothing(world: World) -> None:
    builder = await world.agent("builder")
    states = world.hub.states
    half = "x" * (PROGRAM_STATE_MAX_BYTES // 2)
    await states.update_program_state(builder.principal, state={"a": half})
    with pytest.raises(TooLarge) as refused:
        await states.update_program_state(builder.principal, state={"b": half})
    with pytest.raises(TooLarge):
        await states.update_program_state(builder.principal, state={"c": "x" * PROGRAM_STATE_MAX_BYTES})
    assert refused.value.details["limit"] == PROGRAM_STATE_MAX_BYTES
    assert (await states.get_program_state(builder.principal)).version == 1
    assert await _versions(world.hub, builder.id) == 1


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({}, "give context_summary"),
        ({"state": {"a": 1}, "mode": "overwrite"}, "unknown mode"),
        ({"state": {"a": float("nan")}}, "not valid JSON"),
        ({"state": {"a": {1, 2}}}, "not valid JSON"),
        ({"state": ["a"]}, "must be a JSON object"),
        ({"context_summary": "x", "state": {"contextSummary": "y"}}, "once"),
        ({"state": {"a": 1}, "expected_version": -1}, "expected_version"),
    ],
)
async def test_invalid_updates_are_refused_and_write_nothing(
    world: World, arguments: dict[str, object], problem: str
) -> None:
    builder = await world.agent("builder")
    with pytest.raises(InvalidInput) as refused:
        await world.hub.states.update_program_state(builder.principal, **arguments)  # type: ignore[arg-type]
    assert problem in refused.value.message
    assert await _versions(world.hub, builder.id) == 0


async def test_the_team_overview_shows_every_agent_and_is_for_managers_and_admins(world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    manager = await world.manager()
    await world.hub.states.update_program_state(builder.principal, context_summary="parser done", state={"pr": 42})
    overview = await world.hub.states.list_team_states(manager.principal, world.team.id)
    rows = {agent.name: state for agent, state in overview}
    assert set(rows) == {"manager", "builder", "reviewer"}
    assert rows["builder"].summary_json("engineer")["keys"] == ["contextSummary", "pr"]
    assert (rows["builder"].context_summary, rows["reviewer"].version) == ("parser done", 0)
    assert len(await world.hub.states.list_team_states(world.admin, world.team.id)) == 3
    with pytest.raises(Forbidden):
        await world.hub.states.list_team_states(reviewer.principal, world.team.id)
    other = await world.other_team()
    with pytest.raises(NotFound):
        await world.hub.states.list_team_states(manager.principal, other.team.id)
