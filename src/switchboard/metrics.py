"""The hub's figures for Prometheus: counters moved as things happen, and gauges read from the database when
/metrics is scraped, so every hub process sharing a database reports the same task and turn counts.

The worker processes of one `serve --workers N` share their series through files (prometheus_client's
multiprocess mode, switched on by PROMETHEUS_MULTIPROC_DIR), so that whichever worker answers a scrape reports the
sum of them all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.storage.notifier import Notifier, PostgresNotifier
from switchboard.tasks.models import Task

# Wake-ups take microseconds to milliseconds; a tool call or a request up to the longest wait (300 s).
WAKE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
CALL_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class HubMetrics:
    """One hub's series, in a registry of its own so several hubs in one process never mix their figures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # Where the worker processes of one `serve` keep their series; None in a hub that is a process of its own.
        self.shared_dir = _shared_dir()
        self._database = _DatabaseCollector()
        self.claims = Counter("switchboard_claims", "Tasks claimed by agents.", registry=r)
        self.claim_conflicts = Counter(
            "switchboard_claim_conflicts", "Claims refused because the task was taken or not ready.", registry=r
        )
        self.lease_expiries = Counter(
            "switchboard_lease_expiries", "Claims whose lease ran out, found by the sweep.", registry=r
        )
        self.turns_ended = Counter(
            "switchboard_turns_ended", "Agent turns ended, by outcome, in this process.", ["outcome"], registry=r
        )
        self.wake_latency = Histogram(
            "switchboard_wake_latency_seconds",
            "From a team's change being announced to a waiting call running again.",
            buckets=WAKE_BUCKETS,
            registry=r,
        )
        self.tool_duration = Histogram(
            "switchboard_mcp_tool_duration_seconds",
            "MCP tool calls, by tool.",
            ["tool"],
            buckets=CALL_BUCKETS,
            registry=r,
        )
        self.request_duration = Histogram(
            "switchboard_http_request_duration_seconds",
            "HTTP requests, by method, route and status.",
            ["method", "route", "status"],
            buckets=CALL_BUCKETS,
            registry=r,
        )
        self.database_errors = Counter(
            "switchboard_database_errors", "Database calls that failed because it was unreachable.", registry=r
        )
        self.background_errors = Counter(
            "switchboard_background_errors",
            "Unexpected failures of a background loop's job (logged with a traceback; the loop carried on), by job.",
            ["loop"],
            registry=r,
        )

        self.waiting_calls = Gauge(
            "switchboard_waiting_calls",
            "Calls waiting for a change (wait_seconds) right now.",
            multiprocess_mode="livesum",
            registry=r,
        )
        if self.shared_dir is None:
            self.registry.register(self._database)

    def watch_notifier(self, notifier: Notifier) -> None:
        """Report the calls waiting for a change, and on PostgreSQL how the listener for other hubs fares."""
        notifier.on_waiting.append(self.waiting_calls.inc)
        if isinstance(notifier, PostgresNotifier):
            connections = Counter(
                "switchboard_listener_connections",
                "Connections made to listen for other hubs' changes (more than one: it reconnected).",
                registry=self.registry,
            )
            heard = Counter(
                "switchboard_notifications_heard",
                "Changes announced by other hub processes that this one heard.",
                registry=self.registry,
            )
            notifier.on_listening.append(connections.inc)
            notifier.on_heard.append(heard.inc)

    def count_background_error(self, loop: str) -> None:
        self.background_errors.labels(loop=loop).inc()

    async def count_claim(self, task: Task) -> Task:
        """A claim listener: counts the claim and passes the task on unchanged."""
        self.claims.inc()
        return task

    async def refresh(self, db: Database) -> None:
        """Read the gauges that describe the database (tasks by status, turns running) as they are now."""
        tasks = sa.select(s.tasks.c.team_id, s.tasks.c.status, sa.func.count()).group_by(
            s.tasks.c.team_id, s.tasks.c.status
        )
        running = sa.select(sa.func.count()).select_from(s.turns).where(s.turns.c.ended_at.is_(None))
        async with db.read() as conn:
            self._database.tasks = [
                (str(team_id), status, count) for team_id, status, count in await conn.execute(tasks)
            ]
            self._database.turns_running = await conn.scalar(running) or 0

    def exposition(self) -> bytes:
        if self.shared_dir is None:
            return generate_latest(self.registry)
        # Every worker's series from the shared files, and the database's figures as this worker just read them.
        _forget_dead_workers(self.shared_dir)
        scrape = CollectorRegistry()
        multiprocess.MultiProcessCollector(scrape, str(self.shared_dir))  # type: ignore[no-untyped-call]
        scrape.register(self._database)
        return generate_latest(scrape)


class _DatabaseCollector:
    """The gauges that describe the database, as the last `refresh` read them."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, str, int]] = []
        self.turns_running = 0

    def collect(self) -> Iterator[Metric]:
        tasks = GaugeMetricFamily("switchboard_tasks", "Tasks by team and status.", labels=["team_id", "status"])
        for team_id, status, count in self.tasks:
            tasks.add_metric([team_id, status], count)
        yield tasks
        yield GaugeMetricFamily(
            "switchboard_turns_running", "Agent turns started and not yet ended.", self.turns_running
        )


def _shared_dir() -> Path | None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


LIVE_FILE = re.compile(r"gauge_live\w*_(\d+)\.db")


def _forget_dead_workers(shared_dir: Path) -> None:
    """Drop the live gauges (calls waiting) of worker processes that have exited: what they held is gone."""
    for path in shared_dir.iterdir():
        match = LIVE_FILE.fullmatch(path.name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), str(shared_dir))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
