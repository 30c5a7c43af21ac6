"""The migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from switchboard.hub import Hub
from switchboard.storage.migrate import current_revision, head_revision
from switchboard.storage.schema import metadata


async def test_the_migrated_database_matches_the_declared_schema(hub: Hub) -> None:
    def differences(conn: Connection) -> list[Any]:
        return compare_metadata(MigrationContext.configure(conn), metadata)

    async with hub.db.read() as conn:
        diff = await conn.run_sync(differences)
    # Expression indexes (priority DESC) cannot be reflected by every dialect; the rest must match.
    assert [
        d for d in diff if "ix_tasks_claimable" not in repr(d) and "ix_message_deliveries_inbox" not in repr(d)
    ] == []
    assert await current_revision(hub.db) == head_revision()
