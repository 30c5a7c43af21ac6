"""SIGKILL the hub while twenty agents create, claim, complete and message: after each restart every acknowledged
write is there exactly once, and the claims of agents that died with it come back when their lease runs out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from tests.conftest import database_of_its_own
from tests.faults.checks import (
    Snapshot,
    assert_acknowledged_writes_kept,
    assert_left_claims_came_back,
    read_snapshot,
    settled_snapshot,
)
from tests.faults.hub_process import killable_hub
from tests.faults.workload import Load, under_load
from tests.live_hub import BACKEND_PARAMS

AGENTS = 20
KILLS = 5
# A safety net far above the usual run (15-45 s on a loaded 2-core machine), not a target.
TEST_SECONDS = 150


@pytest.fixture(params=BACKEND_PARAMS)
def database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite in the hub's data directory; else a PostgreSQL database of the test's own, which no other
    hub of the session shares."""
    if request.param == "sqlite":
        yield None
        return
    with database_of_its_own(request.getfixturevalue("postgres_url"), "kill") as url:
        yield url


async def test_a_hub_killed_under_load_keeps_what_it_acknowledged_and_returns_the_dead_agents_claims(
    database: str | None, tmp_path: Path
) -> None:
    with anyio.fail_after(TEST_SECONDS), killable_hub(tmp_path, database) as hub:
        async with under_load(hub, AGENTS) as (load, team_id):
            await load.until_acknowledged(100)
            await kill_restart_and_check(load, team_id)
            load.resume()
            await load.until_acknowledged(40)
        snap = await settled_snapshot(hub.database_url, team_id)

    assert_the_kills_lost_nothing(snap, load)


async def test_five_kills_in_a_row_under_load_keep_what_the_hub_acknowledged(
    database: str | None, tmp_path: Path
) -> None:
    with anyio.fail_after(TEST_SECONDS), killable_hub(tmp_path, database) as hub:
        async with under_load(hub, AGENTS) as (load, team_id):
            for _ in range(KILLS):
                await load.until_acknowledged(40)
                await kill_restart_and_check(load, team_id)
                load.resume()
            await load.until_acknowledged(40)
        snap = await settled_snapshot(hub.database_url, team_id)

    assert_the_kills_lost_nothing(snap, load)


def assert_the_kills_lost_nothing(snap: Snapshot, load: Load) -> None:
    assert_acknowledged_writes_kept(snap, load.ledgers)
    assert_left_claims_came_back(snap, load.ledgers)
    assert_each_kill_cut_off_requests_at_most_one_per_agent(load)
    assert snap.returned_at, "no claim was left behind to come back"


async def kill_restart_and_check(load: Load, team_id: int) -> None:
    """Kill the hub and start it again; before the agents go on, everything acknowledged so far is there."""
    await load.kill_and_restart()
    snap = await read_snapshot(load.hub.database_url, team_id)
    assert_acknowledged_writes_kept(snap, load.ledgers)


def assert_each_kill_cut_off_requests_at_most_one_per_agent(load: Load) -> None:
    assert all(load.cut_off[kill] for kill in range(1, load.kills + 1)), (
        f"a kill with no request under way: {load.cut_off}"
    )
    lost = {ledger.name: ledger.lost_answers for ledger in load.ledgers}
    assert all(n <= load.kills for n in lost.values()), lost
