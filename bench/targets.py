"""Issue 6's targets: MCP and REST calls from 50 clients at once, a batch of 1,000 tasks with 2,000 dependencies
(and refusing a cycle in it), completing a task with 1,000 waiting dependents, and claim latency as the store
grows. Each part runs on SQLite and PostgreSQL and prints a Markdown table."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench._databases import on_fresh_database, p50_p99
from bench._load import LoadResult
from bench.dag import FanOutTimes, batch_with_dependencies, complete_with_dependents
from bench.scale import claim_latency_by_size
from bench.serving import LoadSettings, mcp_claim_next_load, rest_get_task_load

BACKENDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class ServingTargets:
    load: LoadSettings
    mcp_rate: float = 600
    rest_rate: float = 1500
    # `serve --workers` settings measured, each on both backends.
    hub_workers: tuple[int, ...] = (1, 2)


async def print_serving_figures(part: str, runs: int, targets: ServingTargets) -> None:
    """`part` is "mcp" or "rest"."""
    measure, rate = (
        (mcp_claim_next_load, targets.mcp_rate) if part == "mcp" else (rest_get_task_load, targets.rest_rate)
    )
    rows = []
    for workers in targets.hub_workers:
        for backend in BACKENDS:
            results = [
                await on_fresh_database(backend, lambda url, tmp, w=workers: measure(url, tmp, targets.load, rate, w))
                for _ in range(runs)
            ]
            label = backend if workers == 1 else f"{backend}, {workers} workers"
            rows.append((label, _median_load([r[0] for r in results]), _median_load([r[1] for r in results])))
    what = "MCP `claim_next` tool calls (nothing ready)" if part == "mcp" else "REST `GET /api/v1/tasks/{id}` calls"
    load = targets.load
    print(f"\n{what} from {load.clients} clients (one agent and connection each) in {load.processes} processes;")
    print(f"{load.seconds:g} s measured after {load.warmup:g} s of warm-up; flat out, then paced at {rate:g} calls/s;")
    print(f"median of {runs} runs. CPU in cores (1.0 = one core busy the whole time); a hub with workers")
    print("(`serve --workers N`) counts the CPU of all its processes.\n")
    print(
        "| backend | flat out calls/s | p50 (ms) | p99 (ms) | hub CPU | hub CPU ms per call | generator CPU "
        f"| at {rate:g}/s: p50 (ms) | p99 (ms) | calls late |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for backend, flat, paced in rows:
        print(
            f"| {backend} | {flat.calls_per_second:,.0f} | {flat.p50_ms:.2f} | {flat.p99_ms:.2f} | "
            f"{flat.server_cpu:.2f} | {flat.server_cpu / flat.calls_per_second * 1000:.2f} | {flat.client_cpu:.2f} "
            f"| {_ms(paced.p50_ms)} | {_ms(paced.p99_ms)} | {paced.late:,} |"
        )


def _median_load(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        calls_per_second=statistics.median(r.calls_per_second for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        client_cpu=statistics.median(r.client_cpu for r in results),
        server_cpu=statistics.median(r.server_cpu for r in results),
        calls=sum(r.calls for r in results),
        late=round(statistics.median(r.late for r in results)),
    )


def _ms(value: float) -> str:
    return f"{value:.2f}" if value != float("inf") else "overloaded"


async def print_dag_figures(runs: int, rounds: int, dependents: int) -> None:
    batch_rows, fan_rows, failed = [], [], []
    for backend in BACKENDS:
        batches = [
            await on_fresh_database(backend, lambda url, tmp: batch_with_dependencies(url, tmp, rounds))
            for _ in range(runs)
        ]
        created = p50_p99([b.created_ms for b in batches])
        refused = p50_p99([b.refused_ms for b in batches])
        batch_rows.append((backend, *created, *refused))
        fans: list[FanOutTimes] = [
            await on_fresh_database(backend, lambda url, tmp: complete_with_dependents(url, tmp, dependents))
            for _ in range(runs)
        ]
        fan_rows.append(
            (
                backend,
                statistics.median(f.first_woken_ms for f in fans),
                statistics.median(f.woken_ms for f in fans),
                statistics.median(f.returned_ms for f in fans),
                statistics.median(f.claimed_ms for f in fans),
            )
        )
        if failures := [f"{f.failed_claims} of {dependents}, {f.failure}" for f in fans if f.failed_claims]:
            failed.append((backend, failures))
    print("\nbatch of 1,000 tasks with 2,000 dependencies through the service, and the same batch with a back edge")
    print(f"(refused: dependency cycle); {rounds} of each per run, median of {runs} runs of each run's p50 and p99\n")
    print("| backend | batch p50 (ms) | batch p99 (ms) | cycle refused p50 (ms) | cycle refused p99 (ms) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for backend, c50, c99, r50, r99 in batch_rows:
        print(f"| {backend} | {c50:.1f} | {c99:.1f} | {r50:.1f} | {r99:.1f} |")
    print(f"\ncompleting a task with {dependents:,} dependents, each aimed at its own agent waiting in claim_next;")
    print(f"milliseconds from the start of complete_task, median of {runs} runs\n")
    print(
        "| backend | first waiter woken (ms) | all waiters woken (ms) | complete_task returned (ms) "
        "| all dependents claimed (ms) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for backend, first, woken, returned, claimed in fan_rows:
        print(f"| {backend} | {first:.1f} | {woken:.1f} | {returned:.1f} | {claimed:.1f} |")
    for backend, failures in failed:
        print(f"\n{backend}: in {len(failures)} run(s) some waiting calls failed instead of claiming: {failures[0]}")


async def print_scale_figures(sizes: list[int], passes: int, rounds: int) -> None:
    rows = []
    for backend in BACKENDS:
        by_size = await claim_latency_by_size(backend, sizes, passes, rounds)
        smallest = by_size[sizes[0]]
        for size, times in by_size.items():
            claim50, claim99 = p50_p99(times.claim_ms)
            round50 = statistics.median(statistics.median(p) for p in times.round_ms)
            # Each pass measured every size within moments of each other: the ratio is taken per pass.
            ratio = statistics.median(
                statistics.median(mine) / statistics.median(first)
                for mine, first in zip(times.claim_ms, smallest.claim_ms, strict=True)
            )
            rows.append((backend, size, times.load_seconds, claim50, claim99, round50, ratio))
    print(f"\nclaim latency as the store grows: one agent, claim_next then complete_task, {rounds} rounds per store")
    print(
        f"in each of {passes} passes (the stores take turns); medians over the passes; ratio of claim_next p50 to the"
    )
    print("smallest store's in the same pass\n")
    print(
        "| backend | tasks stored | bulk load (s) | claim_next p50 (ms) | claim_next p99 (ms) | claim+complete p50 "
        "(ms) | ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for backend, size, load, c50, c99, r50, ratio in rows:
        print(f"| {backend} | {size:,} | {load:.1f} | {c50:.2f} | {c99:.2f} | {r50:.2f} | {ratio:.2f} |")
