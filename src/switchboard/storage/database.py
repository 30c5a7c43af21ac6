"""The engine and its transactions. SQLite and PostgreSQL differences stay in this module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import anyio
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from switchboard.errors import InvalidInput, Unavailable
from switchboard.storage import schema
from switchboard.storage.notifier import LocalNotifier, Notifier, PostgresNotifier

SelectT = TypeVar("SelectT", bound=sa.Select[Any])

# PostgreSQL cannot hold the NUL character in text (22021) or in JSON (22P05); SQLite can.
NUL_REFUSED = frozenset({"22021", "22P05"})
# Where a write transaction collects the teams it changed, announced to waiters once it commits.
CHANGED_TEAMS = "switchboard_changed_teams"


class Database:
    """One database, SQLite (WAL) or PostgreSQL, with read and write transactions."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(url, pool_size=pool_size, max_overflow=0)
            _configure_sqlite(self.engine)
            # SQLite has one writer at a time. Queueing writers here, instead of in SQLite's busy handler
            # (which sleeps and retries), keeps write latency low; BEGIN IMMEDIATE still guards other processes.
            self._write_lock: anyio.Lock | None = anyio.Lock()
        else:
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
            self._write_lock = None
        self.notifier: Notifier = LocalNotifier(self._changes_since) if self.is_sqlite else PostgresNotifier(url)
        # Told each time a call fails because the database could not be reached.
        self.on_unavailable: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading; each statement sees committed data."""
        with self._translated_errors():
            async with self.engine.connect() as conn:
                yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits when the block ends and rolls back if it raises.

        Teams marked changed in it (`mark_team_changed`) are announced to waiters after the commit.
        """
        changed: set[int] = set()
        with self._translated_errors():
            if self._write_lock is None:
                async with self.engine.begin() as conn:
                    with _collecting(conn, changed):
                        yield conn
            else:
                async with self._write_lock, self.engine.connect() as conn:
                    conn = await conn.execution_options(sqlite_immediate=True)
                    async with conn.begin():
                        with _collecting(conn, changed):
                            yield conn
        if changed:
            await self.notifier.publish(changed)

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """An unreachable database answers as unavailable, and text it cannot store as bad input."""
        try:
            yield
        except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
            raise self._unavailable(exc) from exc
        except sa.exc.DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) in NUL_REFUSED:
                raise InvalidInput("text may not contain the NUL character (\\u0000)") from exc
            raise

    def _unavailable(self, exc: BaseException) -> Unavailable:
        for listener in self.on_unavailable:
            listener()
        return Unavailable(f"database unavailable: {_first_line(exc)}")

    async def _changes_since(self, after: int | None) -> tuple[int, set[int]]:
        """The newest event id, and the teams with events after `after`: how SQLite hears other processes."""
        events = schema.events
        async with self.read() as conn:
            if after is None:
                return int(await conn.scalar(sa.select(sa.func.max(events.c.id))) or 0), set()
            newest_per_team = sa.select(events.c.team_id, sa.func.max(events.c.id)).where(events.c.id > after)
            rows = await conn.execute(newest_per_team.group_by(events.c.team_id))
            found = {team_id: newest for team_id, newest in rows}
        return max(found.values(), default=after), set(found)

    def lock_rows(self, query: SelectT, *, skip_locked: bool = False, shared: bool = False) -> SelectT:
        """Row locks on PostgreSQL (`shared`: FOR SHARE); SQLite's write transaction already holds the database."""
        if self.is_sqlite:
            return query
        return query.with_for_update(read=shared, skip_locked=skip_locked)

    async def dispose(self) -> None:
        await self.notifier.close()
        await self.engine.dispose()


def mark_team_changed(conn: AsyncConnection, team_id: int) -> None:
    """Wake the team's waiters once this write transaction commits (no-op outside `Database.write`)."""
    changed = conn.info.get(CHANGED_TEAMS)
    if changed is not None:
        changed.add(team_id)


@contextmanager
def _collecting(conn: AsyncConnection, changed: set[int]) -> Iterator[None]:
    # `info` belongs to the pooled DBAPI connection and outlives this checkout, so the set is removed again.
    conn.info[CHANGED_TEAMS] = changed
    try:
        yield
    finally:
        conn.info.pop(CHANGED_TEAMS, None)


def dialect_insert(conn: AsyncConnection, table: sa.Table) -> Any:
    """An INSERT with the dialect's ON CONFLICT clauses (both backends spell them the same way)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN itself, so writes can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a killed process: only a power cut can lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
