"""Ids for rows about to be inserted, known before the insert: a batch can then write rows that name each other
in one statement, without reading the ids back."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


async def reserve_ids(conn: AsyncConnection, table: sa.Table, count: int) -> list[int]:
    """`count` unused ids of `table`'s integer `id` column, ascending. Call it inside the write transaction that
    inserts the rows.

    PostgreSQL takes them from the column's sequence, as its inserts would. SQLite continues from the highest id,
    as it does itself for a new row; its write transaction holds the whole database, so no other writer can take
    them first.
    """
    if count < 1:
        return []
    if conn.dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        drawn = await conn.execute(sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count)))
        return sorted(int(row[0]) for row in drawn)
    highest = int(await conn.scalar(sa.select(sa.func.max(table.c.id))) or 0)
    return list(range(highest + 1, highest + count + 1))
