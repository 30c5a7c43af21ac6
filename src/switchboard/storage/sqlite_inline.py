"""SQLite connections for SQLAlchemy's `sqlite+aiosqlite` dialect that run each call on the event loop's thread.

aiosqlite runs every call on a thread of its own connection, and SQLAlchemy's adapter makes four such calls per
statement (cursor, execute, fetch, close): each a hand-off between threads that costs far more than the
statement, which takes microseconds on a local file in WAL mode. These objects answer the same awaitable
interface (the one the dialect's adapter uses) by calling `sqlite3` directly.

What this gives up is overlap: a statement holds the loop while it runs. Readers never wait for locks in WAL
mode; a writer that finds another process writing waits in `Database.write` (asynchronously), not in SQLite's
busy handler.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """Where the dialect's adapter queues work for aiosqlite's thread: here it runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._tx = _RunNow()

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._live.isolation_level

    @property
    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._live.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._live.commit()

    async def rollback(self) -> None:
        self._live.rollback()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._live.create_function(*args, **kw)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        connection, self._conn = self._conn, None
        if connection is not None:
            connection.close()


async def connect(path: str) -> InlineConnection:
    # The connection is used only from the loop's thread, one task at a time (the pool hands it out).
    return InlineConnection(sqlite3.connect(path, isolation_level=None, check_same_thread=False))
