"""A load generator for a hub in its own process: many clients, each on its own keep-alive HTTP/1.1 connection,
spread over a few worker processes so that the generator's CPU is not what limits the figures.

A worker is `python -m bench._load`: it reads its plan (JSON) on stdin, connects its clients, says `ready`, waits
for `go`, runs, and writes its outcome (JSON) on stdout. Requests are prepared bytes, sent again and again; a
client reads each answer (status line, headers, `content-length` body) before sending the next.

Two shapes of load:
- closed loop (`rate` None): each client sends its next request as soon as the last one is answered, so the
  hub runs flat out; the figure is calls per second, and latency is what a client waits at that load.
- paced (`rate` calls/s across all clients): each client sends on a fixed schedule, whatever the answers do.
  Latency is measured from the scheduled send time, so a hub that falls behind shows it (no coordinated
  omission).
Only calls sent after the warm-up count; in a closed loop, only those answered before the end.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field

# How long after the end a paced client may still be catching up with its schedule.
DRAIN_SECONDS = 10.0


@dataclass(frozen=True)
class Plan:
    port: int
    # One list per client: the requests it cycles through, as HTTP/1.1 bytes (latin-1 text in JSON).
    requests: list[list[str]]
    warmup: float
    seconds: float
    rate: float | None
    # Where this worker's clients sit among all clients, to spread the paced schedule evenly.
    first_client: int
    total_clients: int
    # A body must contain this for the call to count as answered well (besides a 2xx status).
    expect: str = ""


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0
    late: int = 0


def http_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> str:
    """One request as the text a worker sends (HTTP/1.1, keep-alive)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines) + "\r\n\r\n" + body.decode("latin-1")


async def run(plan: Plan, go: asyncio.Event) -> Outcome:
    connections = [await asyncio.open_connection("127.0.0.1", plan.port) for _ in plan.requests]
    print("ready", flush=True)
    await go.wait()
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + plan.warmup
    end = measure_from + plan.seconds
    outcome = Outcome()
    cpu = [0.0]

    def note_cpu() -> None:
        cpu.append(time.process_time())

    loop.call_at(measure_from, note_cpu)
    loop.call_at(end, note_cpu)
    results = await asyncio.gather(
        *(
            _client(plan, index, [r.encode("latin-1") for r in requests], reader, writer, start, measure_from, end)
            for index, (requests, (reader, writer)) in enumerate(zip(plan.requests, connections, strict=True))
        )
    )
    for latencies, errors, late in results:
        outcome.latencies_ms.extend(latencies)
        outcome.errors.extend(errors)
        outcome.late += late
    if len(cpu) == 3:
        outcome.cpu_seconds = cpu[2] - cpu[1]
    for _, writer in connections:
        writer.close()
    return outcome


async def _client(
    plan: Plan,
    index: int,
    requests: list[bytes],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    start: float,
    measure_from: float,
    end: float,
) -> tuple[list[float], list[str], int]:
    """One client's calls: latencies of those that count, bad answers, and (paced) calls never sent in time."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors: list[str] = []
    expect = plan.expect.encode()
    interval = plan.total_clients / plan.rate if plan.rate else 0.0
    next_at = start + interval * (plan.first_client + index) / plan.total_clients
    sent = 0
    while True:
        if plan.rate:
            if next_at >= end:
                break
            if loop.time() > end + DRAIN_SECONDS:
                # A hub this far behind is overloaded: what is left of the schedule is counted, not sent.
                return latencies, errors, math.ceil((end - max(next_at, measure_from)) / interval)
            if next_at > loop.time():
                await asyncio.sleep(next_at - loop.time())
            scheduled = next_at
            next_at += interval
        else:
            scheduled = loop.time()
            if scheduled >= end:
                break
        writer.write(requests[sent % len(requests)])
        sent += 1
        status, body = await read_answer(reader)
        answered = loop.time()
        # Paced calls count by their schedule alone: a late answer is exactly what latency should show.
        if scheduled >= measure_from and (plan.rate or answered <= end):
            if not 200 <= status < 300 or expect not in body:
                errors.append(f"{status} {body[:200]!r}")
            latencies.append((answered - scheduled) * 1000)
    return latencies, errors, 0


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def _main() -> None:
    plan = Plan(**json.loads(sys.stdin.readline()))
    go = asyncio.Event()
    loop = asyncio.get_running_loop()
    reading = loop.run_in_executor(None, sys.stdin.readline)
    reading.add_done_callback(lambda _: go.set())
    outcome = await run(plan, go)
    print(json.dumps(asdict(outcome)), flush=True)


@dataclass(frozen=True)
class LoadResult:
    """What all workers saw together in one phase."""

    calls_per_second: float
    p50_ms: float
    p99_ms: float
    client_cpu: float  # cores the load generator used while measuring
    server_cpu: float  # cores the hub used while measuring
    calls: int
    late: int  # paced calls the hub was too far behind to be sent at all (see DRAIN_SECONDS)

    @staticmethod
    def of(outcomes: list[Outcome], seconds: float, server_cpu_seconds: float) -> LoadResult:
        latencies = sorted(x for o in outcomes for x in o.latencies_ms)
        errors = [e for o in outcomes for e in o.errors]
        if errors:
            raise RuntimeError(f"{len(errors)} calls were not answered well, e.g. {errors[0]}")
        late = sum(o.late for o in outcomes)
        if not latencies and not late:
            raise RuntimeError("no call was answered while measuring")
        return LoadResult(
            calls_per_second=len(latencies) / seconds,
            # A paced run whose every call was late has no latency to show but "more than the drain time".
            p50_ms=statistics.median(latencies) if latencies else math.inf,
            p99_ms=latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))] if latencies else math.inf,
            client_cpu=sum(o.cpu_seconds for o in outcomes) / seconds,
            server_cpu=server_cpu_seconds / seconds,
            calls=len(latencies),
            late=late,
        )


async def generate(
    port: int,
    requests: list[list[str]],
    *,
    processes: int,
    warmup: float,
    seconds: float,
    rate: float | None,
    server_pid: int,
    expect: str = "",
) -> LoadResult:
    """Run one phase of load from `processes` workers sharing the clients (one per list of `requests`)."""
    from bench._hub_process import cpu_seconds

    share = -(-len(requests) // processes)
    workers = []
    for first in range(0, len(requests), share):
        plan = Plan(port, requests[first : first + share], warmup, seconds, rate, first, len(requests), expect)
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench._load",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(json.dumps(asdict(plan)).encode() + b"\n")
        await worker.stdin.drain()
        workers.append(worker)
    for worker in workers:
        assert worker.stdout is not None
        line = await worker.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"a load worker did not start: {line!r}")
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
    # The hub's CPU over the same window as the workers' measurement.
    await asyncio.sleep(warmup)
    server_before = cpu_seconds(server_pid)
    await asyncio.sleep(seconds)
    server_used = cpu_seconds(server_pid) - server_before
    outcomes = []
    for worker in workers:
        out, _ = await worker.communicate()
        outcomes.append(Outcome(**json.loads(out.decode().strip().splitlines()[-1])))
    return LoadResult.of(outcomes, seconds, server_used)


if __name__ == "__main__":
    asyncio.run(_main())
