"""Real concurrency: many sessions of one agent update its program state at once, through several hubs."""

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from switchboard.errors import Conflict
from switchboard.hub import Hub
from switchboard.state.models import ProgramState
from switchboard.teams.models import Principal
from tests.conftest import World

WRITERS = 20
HUBS = 4


Writer = Callable[[Hub, int], Awaitable[ProgramState]]


async def _race(world: World, write: Writer) -> list[ProgramState]:
    """Run WRITERS writers at once, spread over HUBS hubs; the states their accepted updates returned."""
    # Several engines on one database: on SQLite they contend through its file locks, not one in-process lock.
    hubs = [Hub(world.hub.settings, world.hub.clock) for _ in range(HUBS)]
    accepted: list[ProgramState] = []

    async def writer(index: int) -> None:
        accepted.append(await write(hubs[index % HUBS], index))

    try:
        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for i in range(WRITERS):
                    tg.start_soon(writer, i)
    finally:
        for hub in hubs:
            await hub.close()
    return accepted


async def _final_after_checking_history(world: World, agent: Principal, accepted: list[ProgramState]) -> dict[str, Any]:
    """Every accepted update is in the history, with contiguous versions; the last version's document."""
    history = await world.hub.states.get_program_state_history(agent, limit=100)
    assert sorted(s.version for s in accepted) == list(range(1, WRITERS + 1))
    assert [v.version for v in history.versions] == list(range(WRITERS, 0, -1))
    by_version = {v.version: v.state for v in history.versions}
    for state in accepted:
        assert by_version[state.version] == state.state
    return by_version[WRITERS]


async def test_writers_that_reread_and_retry_on_conflict_lose_no_update(world: World) -> None:
    builder = await world.agent("builder")
    conflicts: list[int] = []

    async def read_modify_write(hub: Hub, index: int) -> ProgramState:
        while True:
            seen = await hub.states.get_program_state(builder.principal)
            document = {**seen.state, f"writer-{index}": index}
            try:
                return await hub.states.update_program_state(
                    builder.principal, state=document, mode="replace", expected_version=seen.version
                )
            except Conflict as exc:
                assert exc.details["expected_version"] == seen.version
                conflicts.append(index)

    accepted = await _race(world, read_modify_write)

    final = await _final_after_checking_history(world, builder.principal, accepted)
    assert final == {f"writer-{i}": i for i in range(WRITERS)}
    current = await world.hub.states.get_program_state(builder.principal)
    assert (current.version, current.state) == (WRITERS, final)
    assert conflicts, "the writers never overlapped, so the test proved nothing"


async def test_concurrent_merges_without_expected_versions_keep_every_key(world: World) -> None:
    builder = await world.agent("builder")

    async def merge(hub: Hub, index: int) -> ProgramState:
        return await hub.states.update_program_state(builder.principal, state={f"writer-{index}": index})

    accepted = await _race(world, merge)

    final = await _final_after_checking_history(world, builder.principal, accepted)
    assert final == {f"writer-{i}": i for i in range(WRITERS)}
