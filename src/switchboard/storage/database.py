"""The engine and its transactions. SQLite and PostgreSQL differences stay in this module."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import anyio
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from switchboard.errors import InvalidInput, Unavailable
from switchboard.storage import schema
from switchboard.storage.notifier import LocalNotifier, Notifier, PostgresNotifier
from switchboard.storage.sqlite_inline import connect

SelectT = TypeVar("SelectT", bound=sa.Select[Any])

# How long a writer waits, asynchronously, for another process to finish writing to the SQLite file.
BUSY_FIRST_SECONDS = 0.001
BUSY_MAX_SECONDS = 0.05
BUSY_LIMIT_SECONDS = 10.0
# SQLSTATEs of a server that is going away or not taking connections: connection exceptions (08), shutdowns and
# "the database system is starting up / shutting down" (57P), too many connections (53300). asyncpg raises them as
# its own errors, which SQLAlchemy wraps as a bare DBAPIError rather than an OperationalError.
UNAVAILABLE_SQLSTATES = ("08", "57P", "53300")

# A pooled PostgreSQL connection idle for longer than this is checked with a round trip before it is used again: a
# server restarted meanwhile would otherwise fail the first call to use it. A busy connection is not checked; a
# server that goes away under load fails the statement in flight, and that invalidates the whole pool.
PING_IDLE_SECONDS = 1.0

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
            path = make_url(url).database or ":memory:"
            self.engine: AsyncEngine = create_async_engine(
                url, pool_size=pool_size, max_overflow=0, pool_use_lifo=True, async_creator=lambda: connect(path)
            )
            _configure_sqlite(self.engine)
            # SQLite has one writer at a time. Queueing writers here, instead of in SQLite's busy handler
            # (which sleeps and retries), keeps write latency low; BEGIN IMMEDIATE still guards other processes.
            self._write_lock: anyio.Lock | None = anyio.Lock()
        else:
            # No overflow: past the pool, a call waits for a connection. Overflow connections are closed as soon as
            # they are returned, so under load each new one cost a server process's start (a third of a REST call).
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_use_lifo=True)
            _ping_when_idle(self.engine)
            self._write_lock = None
        # Reads run statement by statement: on PostgreSQL (READ COMMITTED) a transaction would give them nothing
        # but a BEGIN and a ROLLBACK, two more round trips. SQLite's read transaction keeps one snapshot.
        self._reader = self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
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
            async with self._reader.connect() as conn:
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
                async with self._write_lock:
                    conn = await self._begin_immediate()
                    try:
                        with _collecting(conn, changed):
                            yield conn
                    except BaseException:
                        with anyio.CancelScope(shield=True):
                            await conn.rollback()
                            await conn.close()
                        raise
                    with anyio.CancelScope(shield=True):
                        try:
                            await conn.commit()
                        finally:
                            await conn.close()
        if changed:
            await self.notifier.publish(changed)

    async def _begin_immediate(self) -> AsyncConnection:
        """A connection holding SQLite's write lock. While another process writes, wait here, off the loop:
        SQLite's own busy handler would sleep with the loop's thread."""
        delay, waited = BUSY_FIRST_SECONDS, 0.0
        while True:
            conn = await self.engine.connect()
            try:
                conn = await conn.execution_options(sqlite_immediate=True)
                await conn.begin()
                return conn
            except sa.exc.OperationalError as exc:
                await conn.close()
                if "locked" not in str(exc) or waited >= BUSY_LIMIT_SECONDS:
                    raise
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await conn.close()
                raise
            await anyio.sleep(delay)
            waited += delay
            delay = min(delay * 2, BUSY_MAX_SECONDS)

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """An unreachable database answers as unavailable, and text it cannot store as bad input."""
        try:
            yield
        except (sa.exc.DBAPIError, OSError) as exc:
            if is_unreachable(exc):
                raise self._unavailable(exc) from exc
            if getattr(getattr(exc, "orig", None), "sqlstate", None) in NUL_REFUSED:
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

    async def transactions_in_progress(self, conn: AsyncConnection) -> frozenset[int]:
        """The transactions in progress now, any of which may yet commit an id taken before ids already visible.
        SQLite commits one writer at a time, in id order: none."""
        if self.is_sqlite:
            return frozenset()
        snapshot = str(await conn.scalar(sa.text("SELECT pg_current_snapshot()::text")))
        return frozenset(int(xid) for xid in snapshot.split(":")[2].split(",") if xid)

    @property
    def row_locks(self) -> Callable[[sa.Select[Any]], sa.Select[Any]] | None:
        """`lock_rows` where a lock is a statement of its own worth running; None on SQLite."""
        return None if self.is_sqlite else self.lock_rows

    def lock_rows(self, query: SelectT, *, skip_locked: bool = False, shared: bool = False) -> SelectT:
        """Row locks on PostgreSQL (`shared`: FOR SHARE); SQLite's write transaction already holds the database."""
        if self.is_sqlite:
            return query
        return query.with_for_update(read=shared, skip_locked=skip_locked)

    async def dispose(self) -> None:
        await self.notifier.close()
        await self.engine.dispose()


def is_unreachable(exc: sa.exc.DBAPIError | OSError) -> bool:
    """Whether the error means the database could not be reached (or went away), not that the call was wrong."""
    if isinstance(exc, (OSError, sa.exc.OperationalError, sa.exc.InterfaceError)) or exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATES)


def mark_team_changed(conn: AsyncConnection, team_id: int) -> None:
    """Wake the team's waiters once this write transaction commits (no-op outside `Database.write`)."""
    changed = conn.info.get(CHANGED_TEAMS)
    if changed is not None:
        changed.add(team_id)


@contextmanager
def _collecting(conn: AsyncConnection, changed: set[int]) -> Iterator[None]:
    # `info` belongs to the pooled DBAPI connection and outlives this checkout, so the set is removed again. It is
    # taken once: after the connection is lost, reaching it again would raise over the error that lost it.
    info = conn.info
    info[CHANGED_TEAMS] = changed
    try:
        yield
    finally:
        info.pop(CHANGED_TEAMS, None)


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
        # A writer meeting another process's write waits in `Database.write`, not inside SQLite.
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it sat idle past PING_IDLE_SECONDS. (SQLAlchemy's
    `pool_pre_ping` checks every time: three round trips, as many as the read it guards.)"""

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool replaces the connection and tries again.
            raise sa.exc.DisconnectionError(_first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
