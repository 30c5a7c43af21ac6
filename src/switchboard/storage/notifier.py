"""Wake-ups: a committed change to a team wakes the calls waiting on that team.

A waiter reads the team's version, checks the database, then waits for the version to move, so a change that
commits between its check and its wait is never missed. Notifications only speed waiters up: they also re-check
every few seconds, so a lost notification delays an answer and never strands it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from switchboard.background import BackgroundLoop, ErrorListener

log = logging.getLogger("switchboard.notifier")

CHANNEL = "switchboard"
RECHECK_SECONDS = 5.0
WATCH_SECONDS = 0.1
RECONNECT_MIN_SECONDS = 0.1
# Until the listener is back, /readyz reports the hub not ready; a refused connection every 2 s costs nothing.
RECONNECT_MAX_SECONDS = 2.0
PING_SECONDS = 5.0
# How asyncpg says the server went away or cannot be reached: expected, unlike anything else a listener raises.
CONNECTION_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
# Told, each time a waiter runs again after a wake-up, how long after the change's announcement that was.
WakeListener = Callable[[float], None]
# Told +1 when a call begins to wait for a change and -1 when it stops.
WaitingListener = Callable[[int], None]


@dataclass
class _TeamSignal:
    version: int = 0
    event: anyio.Event | None = None
    waiting: int = 0
    bumped_at: float = 0.0

    def bump(self) -> None:
        self.version += 1
        self.bumped_at = time.perf_counter()
        if self.event is not None:
            self.event.set()
            self.event = None

    def changed(self) -> anyio.Event:
        if self.event is None:
            self.event = anyio.Event()
        return self.event


@dataclass
class Subscription:
    """One waiter's view of a team: `wait` returns once the team changed after the subscription (or its last
    wait) began, or when `timeout` passes."""

    _signal: _TeamSignal
    _on_wake: list[WakeListener] = field(default_factory=list)
    _on_waiting: list[WaitingListener] = field(default_factory=list)
    _seen: int = field(init=False)

    def __post_init__(self) -> None:
        self._seen = self._signal.version

    async def wait(self, timeout: float) -> bool:
        """True when the team changed, False at the timeout."""
        if self._signal.version == self._seen:
            self._signal.waiting += 1
            for counter in self._on_waiting:
                counter(1)
            try:
                with anyio.move_on_after(timeout):
                    await self._signal.changed().wait()
                    woken_after = time.perf_counter() - self._signal.bumped_at
                    for listener in self._on_wake:
                        listener(woken_after)
            finally:
                self._signal.waiting -= 1
                for counter in self._on_waiting:
                    counter(-1)
        moved = self._signal.version != self._seen
        self._seen = self._signal.version
        return moved


class ChangeWatch:
    """Every team that changed, for one watcher of all teams (the dispatcher)."""

    def __init__(self) -> None:
        self._teams: set[int] = set()
        self._everything = False
        self._event = anyio.Event()

    def note(self, team_ids: Iterable[int]) -> None:
        team_ids = set(team_ids)
        # A note of no team (SQLite's watcher, between changes) must not stand in for the periodic full scan.
        if team_ids:
            self._teams.update(team_ids)
            self._event.set()

    def note_everything(self) -> None:
        self._everything = True
        self._event.set()

    async def changes(self, timeout: float) -> set[int] | None:
        """The teams changed since the last call, once there are any; None means every team (a missed
        notification, or `timeout` passed with nothing heard)."""
        with anyio.move_on_after(timeout):
            await self._event.wait()
        teams = None if not self._event.is_set() or self._everything else self._teams
        self._teams, self._everything, self._event = set(), False, anyio.Event()
        return teams


class Notifier:
    """Wake-ups for the waiters of this process; subclasses also carry them to other processes."""

    recheck_seconds = RECHECK_SECONDS

    def __init__(self) -> None:
        self._teams: dict[int, _TeamSignal] = {}
        self._watches: list[ChangeWatch] = []
        self.on_wake: list[WakeListener] = []
        self.on_waiting: list[WaitingListener] = []
        self.on_error: list[ErrorListener] = []

    def watch(self) -> ChangeWatch:
        """Hear about every team's changes from now on (until `unwatch`)."""
        watch = ChangeWatch()
        self._watches.append(watch)
        return watch

    def unwatch(self, watch: ChangeWatch) -> None:
        self._watches.remove(watch)

    def subscribe(self, team_id: int) -> Subscription:
        """Take this before checking the database; then `wait` for a change the check could not see."""
        return Subscription(self._teams.setdefault(team_id, _TeamSignal()), self.on_wake, self.on_waiting)

    def waiting(self, team_id: int | None = None) -> int:
        """How many calls are waiting on the team (None: on any team) right now."""
        if team_id is None:
            return sum(signal.waiting for signal in self._teams.values())
        signal = self._teams.get(team_id)
        return signal.waiting if signal is not None else 0

    async def publish(self, team_ids: Iterable[int]) -> None:
        """Tell waiters these teams changed. Call it only after the change is committed."""
        self.wake_local(team_ids)

    def wake_local(self, team_ids: Iterable[int]) -> None:
        team_ids = list(team_ids)
        for watch in self._watches:
            watch.note(team_ids)
        for team_id in team_ids:
            signal = self._teams.get(team_id)
            if signal is not None:
                signal.bump()

    def wake_everyone(self) -> None:
        """After notifications may have been lost: every waiter re-checks."""
        for watch in self._watches:
            watch.note_everything()
        for signal in self._teams.values():
            signal.bump()

    def _count_error(self, loop: str) -> None:
        for listener in self.on_error:
            listener(loop)

    async def start(self) -> None:
        """Begin hearing other processes' changes (nothing to do in-process)."""

    async def close(self) -> None:
        """Stop hearing other processes' changes."""


ChangesSince = Callable[[int | None], Awaitable[tuple[int, set[int]]]]


class LocalNotifier(Notifier):
    """In-process wake-ups for SQLite, which has no LISTEN. Once started with `changes_since`, it also watches
    the events table for changes other processes (or other hubs in this one) commit to the same file.

    `changes_since(after)` answers the newest event id and the teams with events after `after` (None: just the
    newest id).
    """

    def __init__(self, changes_since: ChangesSince | None = None, interval: float = WATCH_SECONDS) -> None:
        super().__init__()
        self._changes_since = changes_since
        self._interval = interval
        self._watcher: asyncio.Task[None] | None = None
        self._bells: Path | None = None
        self._bell: socket.socket | None = None

    def ring_siblings(self, bells: Path) -> None:
        """Wake the other processes that ring in the directory `bells` as soon as a change commits, not when their
        watch next looks (the workers of one `serve`). Each binds a datagram socket there, and each change's teams
        go to the others' sockets. Call before `start`."""
        self._bells = bells

    async def start(self) -> None:
        if self._changes_since is not None and self._watcher is None:
            self._watcher = asyncio.create_task(self._watch(self._changes_since), name="switchboard-watcher")
        if self._bells is not None and self._bell is None:
            bell = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            bell.setblocking(False)
            bell.bind(str(self._bells / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"))
            asyncio.get_running_loop().add_reader(bell.fileno(), self._rung)
            self._bell = bell

    async def publish(self, team_ids: Iterable[int]) -> None:
        teams = set(team_ids)
        self.wake_local(teams)
        if self._bell is not None and self._bells is not None and teams:
            self._ring(self._bell, self._bells, ",".join(map(str, teams)).encode())

    def _ring(self, bell: socket.socket, bells: Path, message: bytes) -> None:
        own = bell.getsockname()
        for sibling in os.scandir(bells):
            if sibling.path == own:
                continue
            try:
                bell.sendto(message, sibling.path)
            except ConnectionRefusedError:
                # A process that ended without closing its bell; its watch covers whatever else is lost.
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(sibling.path)
            except (BlockingIOError, FileNotFoundError):
                pass

    def _rung(self) -> None:
        assert self._bell is not None
        teams: set[int] = set()
        with contextlib.suppress(BlockingIOError):
            while True:
                teams.update(int(team) for team in self._bell.recv(65536).split(b",") if team.isdigit())
        self.wake_local(teams)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        if self._bell is not None:
            bell, self._bell = self._bell, None
            asyncio.get_running_loop().remove_reader(bell.fileno())
            with contextlib.suppress(FileNotFoundError):
                os.unlink(bell.getsockname())
            bell.close()

    async def _watch(self, changes_since: ChangesSince) -> None:
        seen: int | None = None
        # The watch must outlive any failure; waiters re-check anyway.
        passes = BackgroundLoop(self._count_error)
        while True:
            with passes.job("change_watch"):
                newest, teams = await changes_since(seen)
                if seen is not None:
                    self.wake_local(teams)
                seen = newest
            await passes.pause()
            await asyncio.sleep(self._interval)


class PostgresNotifier(Notifier):
    """Wake-ups across hub processes sharing one PostgreSQL database, by LISTEN/NOTIFY.

    One connection listens; another sends. Each notification carries the team id and this hub's id, so a hub
    does not wake its own waiters twice (it wakes them directly when it publishes).
    """

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.hub_id = uuid.uuid4().hex[:12]
        self._sender: asyncpg.Connection | None = None
        self._send_lock = asyncio.Lock()
        self._unsent: set[int] = set()
        self._to_send = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        self.connections_made = 0
        self.listener_pid: int | None = None
        # Notifications of other hubs' changes heard on the listening connection.
        self.heard = 0
        # Told each time the listening connection is made, and each time it hears another hub's change.
        self.on_listening: list[Callable[[], None]] = []
        self.on_heard: list[Callable[[], None]] = []

    async def publish(self, team_ids: Iterable[int]) -> None:
        """Wake this hub's waiters now; other hubs hear it from the sender, which sends what gathered while it
        was sending, so a writer never waits for a notification."""
        teams = set(team_ids)
        self.wake_local(teams)
        if not teams:
            return
        self._unsent.update(teams)
        if self._sender_task is None:
            await self._send_unsent()
        else:
            self._to_send.set()

    async def _send_forever(self) -> None:
        while True:
            await self._to_send.wait()
            self._to_send.clear()
            await self._send_unsent()

    async def _send_unsent(self) -> None:
        async with self._send_lock:
            teams, self._unsent = sorted(self._unsent), set()
            if not teams:
                return
            try:
                if self._sender is None or self._sender.is_closed():
                    self._sender = await asyncpg.connect(self._dsn, timeout=5)
                await self._sender.executemany(
                    "SELECT pg_notify($1, $2)", [(CHANNEL, f"{team_id}:{self.hub_id}") for team_id in teams]
                )
            except Exception as exc:
                # The change is committed and must be answered as such, whatever the connection did: asyncpg
                # raises more than its PostgresError and InterfaceError when the server goes away mid-call (an
                # InternalClientError, "another operation is in progress"). Other hubs' waiters re-check on
                # their own within `recheck_seconds`.
                log.warning("could not notify other hubs: %s", exc)
                await self._drop_sender()

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen_forever(), name="switchboard-listener")
        if self._sender_task is None:
            self._sender_task = asyncio.create_task(self._send_forever(), name="switchboard-sender")

    async def close(self) -> None:
        if self._sender_task is not None:
            # A send in progress finishes first: cancelling asyncpg halfway through connecting breaks the
            # connection under the loop. Holding the lock, the sender can only be waiting.
            async with self._send_lock:
                self._sender_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._sender_task
            self._sender_task = None
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
            self.listening.clear()
        async with self._send_lock:
            await self._drop_sender()

    async def _drop_sender(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None and not sender.is_closed():
            with contextlib.suppress(Exception):
                await sender.close(timeout=2)

    async def _listen_forever(self) -> None:
        delay = RECONNECT_MIN_SECONDS
        while True:
            # The listener must outlive any failure. Back off only while connecting fails: a connection that was
            # up starts again from the minimum.
            try:
                await self._listen_once()
            except Exception as exc:
                if self.listening.is_set():
                    delay = RECONNECT_MIN_SECONDS
                if isinstance(exc, CONNECTION_ERRORS):
                    log.warning("notification listener lost its connection (%s); reconnecting in %.1fs", exc, delay)
                else:
                    log.exception("notification listener failed; reconnecting in %.1fs", delay)
                    self._count_error("notification_listener")
            self.listening.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(self._dsn, timeout=5)
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _c: lost.set())
            await conn.add_listener(CHANNEL, self._heard)
            self.connections_made += 1
            for listener in self.on_listening:
                listener()
            self.listener_pid = conn.get_server_pid()
            self.listening.set()
            # Changes committed while no one listened went unheard: everyone looks again.
            self.wake_everyone()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), PING_SECONDS)
                if not lost.is_set():
                    # A silent network failure does not close the socket: a query notices it.
                    await conn.fetchval("SELECT 1", timeout=PING_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
        raise OSError("the listening connection was closed")

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        team, _, origin = payload.partition(":")
        if origin == self.hub_id or not team.isdigit():
            return
        self.heard += 1
        for listener in self.on_heard:
            listener()
        self.wake_local([int(team)])
