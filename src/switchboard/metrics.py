"""The hub's figures for Prometheus: counters moved as things happen, and gauges read from the database when
/metrics is scraped, so every hub process sharing a database reports the same task and turn counts."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

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
        self.tasks = Gauge("switchboard_tasks", "Tasks by team and status.", ["team_id", "status"], registry=r)
        self.claims = Counter("switchboard_claims", "Tasks claimed by agents.", registry=r)
        self.claim_conflicts = Counter(
            "switchboard_claim_conflicts", "Claims refused because the task was taken or not ready.", registry=r
        )
        self.lease_expiries = Counter(
            "switchboard_lease_expiries", "Claims whose lease ran out, found by the sweep.", registry=r
        )
        self.turns_running = Gauge("switchboard_turns_running", "Agent turns started and not yet ended.", registry=r)
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

    def watch_notifier(self, notifier: Notifier) -> None:
        """Report the calls waiting for a change, and on PostgreSQL how the listener for other hubs fares."""
        self.registry.register(_NotifierCollector(notifier))

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
            counts = (await conn.execute(tasks)).all()
            turns = await conn.scalar(running)
        self.tasks.clear()
        for team_id, status, count in counts:
            self.tasks.labels(team_id=str(team_id), status=status).set(count)
        self.turns_running.set(turns or 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _NotifierCollector:
    """Figures read from the notifier when /metrics is scraped."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def collect(self) -> Iterator[Metric]:
        notifier = self.notifier
        yield GaugeMetricFamily(
            "switchboard_waiting_calls", "Calls waiting for a change (wait_seconds) right now.", notifier.waiting()
        )
        if isinstance(notifier, PostgresNotifier):
            yield CounterMetricFamily(
                "switchboard_listener_connections",
                "Connections made to listen for other hubs' changes (more than one: it reconnected).",
                notifier.connections_made,
            )
            yield CounterMetricFamily(
                "switchboard_notifications_heard",
                "Changes announced by other hub processes that this one heard.",
                notifier.heard,
            )
