"""The hub's /metrics as a snapshot: the counters the soak follows and the tool-call latency histogram, with
quantiles read from the histogram's buckets as Prometheus' `histogram_quantile` reads them."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

TOOL_HISTOGRAM = "switchboard_mcp_tool_duration_seconds"


@dataclass(frozen=True)
class Histogram:
    """Cumulative counts by upper bound (seconds), +Inf last."""

    buckets: tuple[tuple[float, float], ...] = ()

    @property
    def count(self) -> float:
        return self.buckets[-1][1] if self.buckets else 0.0

    def __sub__(self, earlier: Histogram) -> Histogram:
        before = dict(earlier.buckets)
        return Histogram(tuple((le, n - before.get(le, 0.0)) for le, n in self.buckets))

    def __add__(self, other: Histogram) -> Histogram:
        summed: dict[float, float] = defaultdict(float)
        for le, n in (*self.buckets, *other.buckets):
            summed[le] += n
        return Histogram(tuple(sorted(summed.items())))

    def quantile(self, q: float) -> float:
        """Seconds below which a fraction `q` of the observations fall, interpolated within their bucket."""
        if self.count == 0:
            return math.nan
        rank = q * self.count
        lower, below = 0.0, 0.0
        for le, cumulative in self.buckets:
            if cumulative >= rank:
                if math.isinf(le):
                    return lower  # beyond the last finite bucket: its bound is all that is known
                inside = cumulative - below
                return lower + (le - lower) * ((rank - below) / inside if inside else 1.0)
            lower, below = le, cumulative
        return lower


@dataclass(frozen=True)
class Snapshot:
    """What one scrape of /metrics says."""

    claims: float = 0.0
    lease_expiries: float = 0.0
    database_errors: float = 0.0
    server_errors: float = 0.0  # HTTP answers with a 5xx status
    tools: dict[str, Histogram] = field(default_factory=dict)

    @property
    def tool_calls(self) -> Histogram:
        total = Histogram()
        for histogram in self.tools.values():
            total = total + histogram
        return total


def parse(text: str) -> Snapshot:
    counters: dict[str, float] = defaultdict(float)
    buckets: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == f"{TOOL_HISTOGRAM}_bucket":
                buckets[s.labels["tool"]].append((float(s.labels["le"]), s.value))
            elif s.name == "switchboard_http_request_duration_seconds_count" and s.labels["status"].startswith("5"):
                counters["server_errors"] += s.value
            elif s.name in COUNTERS:
                counters[COUNTERS[s.name]] += s.value
    tools = {tool: Histogram(tuple(sorted(b))) for tool, b in buckets.items()}
    return Snapshot(tools=tools, **counters)


COUNTERS = {
    "switchboard_claims_total": "claims",
    "switchboard_lease_expiries_total": "lease_expiries",
    "switchboard_database_errors_total": "database_errors",
}


def difference(later: Snapshot, earlier: Snapshot) -> Snapshot:
    """What happened between two scrapes."""
    tools = {tool: h - earlier.tools.get(tool, Histogram()) for tool, h in later.tools.items()}
    return Snapshot(
        claims=later.claims - earlier.claims,
        lease_expiries=later.lease_expiries - earlier.lease_expiries,
        database_errors=later.database_errors - earlier.database_errors,
        server_errors=later.server_errors - earlier.server_errors,
        tools=tools,
    )
