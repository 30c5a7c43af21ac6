"""SQLite: statements run on the loop's thread, so a writer meeting another process's write must wait off it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio

from switchboard.config import Settings
from switchboard.hub import running_hub
from switchboard.tasks.models import TaskDraft
from switchboard.tasks.service import TaskFilters

# Far longer than a loop iteration, far shorter than a busy handler's timeout.
HELD_LOOP_SECONDS = 2.0


async def test_a_write_waits_for_another_process_without_holding_the_loop(tmp_path: Path) -> None:
    database = tmp_path / "switchboard.db"
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{database}")
    async with running_hub(settings) as hub:
        admin = await hub.keys.authenticate(settings.admin_key_file.read_text().strip())
        team = await hub.teams.create_team(admin, admin.org_id, "writers")
        # Another process's write transaction: a connection of its own holding the file's write lock.
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        created = anyio.Event()

        async def create() -> None:
            await hub.tasks.create_task(admin, TaskDraft(title="after the other writer"), team.id)
            created.set()

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                started = anyio.current_time()
                tg.start_soon(create)
                # The waiting writer sleeps between its tries; SQLite's own busy handler would hold the loop
                # (and this test) for its whole timeout.
                await anyio.wait_all_tasks_blocked()
                assert anyio.current_time() - started < HELD_LOOP_SECONDS
                assert not created.is_set()
                other.execute("COMMIT")
                await created.wait()
        other.close()
        titles = [t.title for t in (await hub.tasks.list_tasks(admin, TaskFilters(), team.id)).items]
        assert titles == ["after the other writer"]
