"""`make soak`: simulated agents over MCP Streamable HTTP against a hub in its own process, for minutes on end.

Each agent loops claim_next / heartbeat / complete_task / send_message / get_messages; a producer keeps a backlog of
ready tasks with create_tasks_batch. Every `--sample-seconds` the hub's /metrics and its resident memory are read and
one line is printed; at the end a Markdown summary: throughput, tool-call latency from the /metrics histogram,
errors (client exceptions, tool errors, database errors and 5xx answers from /metrics, errors in the hub's log) and
the hub's memory over time. Exits with 1 when there was any error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench._databases import create_postgres_database, drop_postgres_database
from bench._hub_process import cpu_seconds, free_port, rss_mib, wait_ready
from bench._prometheus import Histogram, Snapshot, difference, parse
from bench._soak_agents import Call, Count, Shared, ToolRefused, mcp_session, run_agents

TOOLS = ("claim_next", "heartbeat", "complete_task", "send_message", "get_messages", "create_tasks_batch")
CONNECT_TIMEOUT_SECONDS = 180
STOP_TIMEOUT_SECONDS = 60
HUB_LOG_ERROR = re.compile(r"\bERROR\b|\bCRITICAL\b|Traceback")


@dataclass(frozen=True)
class SoakOptions:
    seconds: float
    agents: int = 200
    processes: int = 4
    sample_seconds: float = 30
    backlog: int = 0  # ready tasks the producer keeps ahead of the agents; 0: two per agent
    batch: int = 50
    workers: int = 1  # `serve --workers`; the hub's memory and CPU are its processes' together

    @property
    def tasks_ahead(self) -> int:
        return self.backlog or 2 * self.agents


@dataclass(frozen=True)
class Sample:
    """One interval between two scrapes, and the hub's memory at its end."""

    elapsed: float
    seconds: float
    metrics: Snapshot
    rss_mib: float
    cpu_percent: float  # the hub process's CPU time over the interval (100: one core busy)
    client_cpu_percent: float  # the client processes' together
    client_errors: int  # client exceptions and tool errors in the interval

    @property
    def errors(self) -> float:
        return self.client_errors + self.metrics.database_errors + self.metrics.server_errors


@dataclass
class SoakReport:
    options: SoakOptions
    backend: str
    rss_start_mib: float
    samples: list[Sample] = field(default_factory=list)
    total: Snapshot = field(default_factory=Snapshot)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    client_errors: list[str] = field(default_factory=list)
    hub_log_errors: list[str] = field(default_factory=list)

    @property
    def errors(self) -> dict[str, int]:
        return {
            "client exceptions": self.counts.get("exceptions", 0),
            "tool errors": self.counts.get("tool_errors", 0),
            "database errors (/metrics)": int(self.total.database_errors),
            "5xx answers (/metrics)": int(self.total.server_errors),
            "errors in the hub's log": len(self.hub_log_errors),
        }

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rss(self) -> list[tuple[float, float]]:
        """(minutes since the start, MiB), the start included."""
        return [(0.0, self.rss_start_mib), *((s.elapsed / 60, s.rss_mib) for s in self.samples)]


async def soak(
    database_url: str | None, data_dir: Path, options: SoakOptions, out: Callable[[str], None]
) -> SoakReport:
    """Run the soak against a fresh hub process on `database_url` (None: SQLite in `data_dir`)."""
    backend = "sqlite" if database_url is None or database_url.startswith("sqlite") else "postgres"
    async with hub_process(database_url, data_dir, options.workers) as (base, server):
        admin_key = await wait_ready(base, data_dir / "admin.key", server)
        manager_key, agent_keys = await prepare_team(base, admin_key, options.agents)
        shared = Shared.create(multiprocessing.get_context("spawn"))
        # The producer starts first, so that the agents find work from their first claim.
        async with (
            producing(f"{base}/mcp", manager_key, shared, options),
            client_processes(f"{base}/mcp", agent_keys, shared, options.processes) as processes,
        ):
            await wait_connected(shared, options.agents, processes)
            report = SoakReport(options, backend, rss_mib(server.pid))
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                await sample(http, server.pid, [p.pid for p in processes if p.pid], shared, report, out)
        report.counts = {count.name.lower(): shared.get(count) for count in Count}
        report.client_errors = drain(shared)
    report.hub_log_errors = [line for line in hub_log(data_dir) if HUB_LOG_ERROR.search(line)]
    return report


@contextlib.asynccontextmanager
async def hub_process(
    database_url: str | None, data_dir: Path, workers: int = 1
) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    command = [sys.executable, "-m", "switchboard", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    command += ["--log-level", "warning", "--workers", str(workers)]
    if database_url:
        command += ["--database", database_url]
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "hub.log").open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def hub_log(data_dir: Path) -> list[str]:
    return (data_dir / "hub.log").read_text(errors="replace").splitlines()


async def prepare_team(base: str, admin_key: str, agents: int) -> tuple[str, list[tuple[str, str]]]:
    """A new team: its manager's key (the producer's) and one key per agent, as (name, key)."""
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60) as http:
        org_id = (await http.get("/api/v1/whoami")).json()["org_id"]
        created = await http.post(f"/api/v1/orgs/{org_id}/teams", json={"name": f"soak {secrets.token_hex(3)}"})
        team_id = created.json()["id"]

        async def key(program_id: str) -> str:
            response = await http.post(f"/api/v1/teams/{team_id}/keys", json={"program_id": program_id})
            response.raise_for_status()
            return str(response.json()["key"])

        manager = await key("manager")
        names = [f"agent-{i}" for i in range(agents)]
        return manager, [(name, await key(name)) for name in names]


@contextlib.asynccontextmanager
async def client_processes(
    mcp_url: str, keys: list[tuple[str, str]], shared: Shared, count: int
) -> AsyncIterator[Sequence[multiprocessing.process.BaseProcess]]:
    context = multiprocessing.get_context("spawn")
    peers = [name for name, _ in keys]
    processes = [
        context.Process(target=run_agents, args=(mcp_url, keys[i::count], peers, shared, i), daemon=True)
        for i in range(min(count, len(keys)))
    ]
    for process in processes:
        process.start()
    try:
        yield processes
    finally:
        shared.stop.set()
        await asyncio.to_thread(_join, processes)


def _join(processes: Sequence[multiprocessing.process.BaseProcess]) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.terminate()
            process.join()


async def wait_connected(shared: Shared, agents: int, processes: Sequence[multiprocessing.process.BaseProcess]) -> None:
    """Until every agent has its MCP session (a poll of another process's state, with a deadline)."""
    deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
    while shared.get(Count.CONNECTED) < agents:
        if any(p.exitcode is not None for p in processes):
            raise RuntimeError(f"a client process exited before every agent connected: {drain(shared)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{shared.get(Count.CONNECTED)} of {agents} agents connected: {drain(shared)}")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def producing(mcp_url: str, key: str, shared: Shared, options: SoakOptions) -> AsyncIterator[None]:
    stop = asyncio.Event()
    async with mcp_session(mcp_url, key, shared) as call:
        task = asyncio.create_task(produce(call, shared, options, stop))
        try:
            yield
        finally:
            stop.set()
            await task


async def produce(call: Call, shared: Shared, options: SoakOptions, stop: asyncio.Event) -> None:
    """Keep `options.tasks_ahead` tasks not yet completed in the team, in batches."""
    created = 0
    while not stop.is_set():
        if created - shared.get(Count.COMPLETED) >= options.tasks_ahead:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)
            continue
        tasks = [{"title": f"soak task {created + i}", "tags": ["soak"]} for i in range(options.batch)]
        try:
            await call("create_tasks_batch", {"tasks": tasks})
            created += options.batch
        except ToolRefused as refusal:
            shared.add(Count.TOOL_ERRORS)
            shared.errors.put(f"producer: {refusal}")


async def sample(
    http: httpx.AsyncClient,
    hub: int,
    clients: list[int],
    shared: Shared,
    report: SoakReport,
    out: Callable[[str], None],
) -> None:
    """Read /metrics, memory and CPU every `sample_seconds` until the time is up; one line each."""
    options = report.options
    baseline = previous = parse(await scrape(http))
    started = time.monotonic()
    hub_cpu, clients_cpu, client_errors = CpuMeter([hub]), CpuMeter(clients), ErrorMeter(shared)
    out(f"\n{options.agents} agents in {options.processes} client processes, {report.backend}; hub pid {hub}\n")
    out(HEADER)
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    while (left := started + options.seconds - time.monotonic()) > 0:
        await asyncio.sleep(min(options.sample_seconds, left))
        current = parse(await scrape(http))
        elapsed = time.monotonic() - started
        seconds = elapsed - (report.samples[-1].elapsed if report.samples else 0.0)
        interval = difference(current, previous)
        cpu = (hub_cpu.percent(seconds), clients_cpu.percent(seconds))
        report.samples.append(Sample(elapsed, seconds, interval, rss_mib(hub), *cpu, client_errors.since_last()))
        out(row(report.samples[-1]))
        previous = current
    report.total = difference(previous, baseline)
    report.seconds = time.monotonic() - started


class CpuMeter:
    """CPU time of some processes between two readings, as a percentage of one core."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.last = self.seconds()

    def seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def percent(self, interval: float) -> float:
        now = self.seconds()
        busy, self.last = now - self.last, now
        return 100 * busy / interval


class ErrorMeter:
    """Client exceptions and tool errors since the last reading."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.last = self.total()

    def total(self) -> int:
        return self.shared.get(Count.EXCEPTIONS) + self.shared.get(Count.TOOL_ERRORS)

    def since_last(self) -> int:
        now = self.total()
        errors, self.last = now - self.last, now
        return errors


HEADER = (
    "| t (s) | claims/s | tool calls/s | p50 (ms) | p95 (ms) | p99 (ms) | hub CPU (%) | clients CPU (%) "
    "| hub RSS (MiB) | errors |"
)


def row(s: Sample) -> str:
    calls = s.metrics.tool_calls
    latency = " | ".join(_ms(calls.quantile(q)) for q in (0.5, 0.95, 0.99))
    return (
        f"| {s.elapsed:.0f} | {s.metrics.claims / s.seconds:.1f} | {calls.count / s.seconds:.1f} | {latency} "
        f"| {s.cpu_percent:.0f} | {s.client_cpu_percent:.0f} | {s.rss_mib:.1f} | {s.errors:.0f} |"
    )


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    response.raise_for_status()
    return response.text


def drain(shared: Shared) -> list[str]:
    errors = []
    while True:
        try:
            errors.append(shared.errors.get(timeout=0.1))
        except Exception:  # queue.Empty: nothing more
            return errors


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (MiB per minute); 0 with fewer than two points."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def summary(report: SoakReport) -> str:
    """The run as Markdown: throughput, latency by tool, errors, memory."""
    total, seconds, counts = report.total, report.seconds, report.counts
    calls = total.tool_calls
    rss = report.rss
    half = [p for p in rss if p[0] >= rss[-1][0] / 2]
    lines = [
        f"\n## Soak: {report.options.agents} agents, {report.backend}, {seconds / 60:.1f} minutes\n",
        "| figure | value |",
        "| --- | ---: |",
        f"| claims per second (/metrics) | {total.claims / seconds:.1f} |",
        f"| tasks completed per second (clients) | {counts.get('completed', 0) / seconds:.1f} |",
        f"| tool calls per second (/metrics) | {calls.count / seconds:.1f} |",
        f"| tool-call latency p50 / p95 / p99 (ms) | {_ms(calls.quantile(0.5))} / {_ms(calls.quantile(0.95))} / "
        f"{_ms(calls.quantile(0.99))} |",
        f"| claims that found nothing ready (clients) | {counts.get('empty_claims', 0)} |",
        f"| lease expiries (/metrics) | {total.lease_expiries:.0f} |",
        f"| messages sent / read (clients) | {counts.get('messages_sent', 0)} / {counts.get('messages_read', 0)} |",
        *(f"| {name} | {n} |" for name, n in report.errors.items()),
        f"| hub RSS first / last / max (MiB) | {rss[0][1]:.1f} / {rss[-1][1]:.1f} / {max(y for _, y in rss):.1f} |",
        f"| hub RSS slope, whole run / second half (MiB per minute) | {slope(rss):+.2f} / {slope(half):+.2f} |",
        "\n| tool | calls | p50 (ms) | p95 (ms) | p99 (ms) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(_tool_row(tool, total.tools.get(tool, Histogram())) for tool in TOOLS),
    ]
    if report.client_errors or report.hub_log_errors:
        lines.append("\nFirst errors:\n")
        lines += [f"- {e[:300]}" for e in (report.client_errors + report.hub_log_errors)[:20]]
    return "\n".join(lines)


def _tool_row(tool: str, histogram: Histogram) -> str:
    latency = " | ".join(_ms(histogram.quantile(q)) for q in (0.5, 0.95, 0.99))
    return f"| {tool} | {histogram.count:.0f} | {latency} |"


def _ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:.1f}"


async def soak_on_fresh_database(backend: str, options: SoakOptions) -> SoakReport:
    with tempfile.TemporaryDirectory() as tmp:
        url = None if backend == "sqlite" else await create_postgres_database()
        try:
            return await soak(url, Path(tmp) / "data", options, lambda line: print(line, flush=True))
        finally:
            if url:
                await drop_postgres_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--processes", type=int, default=4, help="client processes the agents are split over")
    parser.add_argument("--sample-seconds", type=float, default=30, help="seconds between two readings of /metrics")
    parser.add_argument("--backlog", type=int, default=0, help="tasks kept ahead of the agents (default 2 each)")
    parser.add_argument("--workers", type=int, default=1, help="hub processes (`serve --workers`)")
    args = parser.parse_args()
    options = SoakOptions(
        args.minutes * 60, args.agents, args.processes, args.sample_seconds, args.backlog, workers=args.workers
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    report = asyncio.run(soak_on_fresh_database(args.backend, options))
    print(summary(report))
    sys.exit(1 if report.error_count else 0)


if __name__ == "__main__":
    main()
