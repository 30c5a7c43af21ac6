"""`make bench`: claim+complete throughput through the service, MCP `claim_next` latency over HTTP, and messages:
fan-out of one message to a group of 100 agents and `get_messages` latency for an agent with 10,000 messages;
wake-up latency; the dashboard's board with 2,000 tasks painted in Chromium; and issue 6's targets (see
`bench/targets.py`): MCP and REST calls from 50 clients at once, a batch of 1,000 tasks with 2,000 dependencies,
a task with 1,000 waiting dependents, and claim latency on stores of 10,000 to 1,000,000 tasks.

Prints a Markdown table; each figure is the median of several runs on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import statistics
import time
from pathlib import Path

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench._databases import on_fresh_database, p50_p99
from bench._hub_process import hub_process
from bench.dashboard import board_first_paint
from bench.serving import LoadSettings
from bench.targets import ServingTargets, print_dag_figures, print_scale_figures, print_serving_figures
from bench.wake import memory_of_waiters, wake_latency
from switchboard.config import Settings
from switchboard.hub import Hub, running_hub
from switchboard.messages.models import InboxQuery, MessageDraft, MessagePriority, MessageType
from switchboard.storage import schema
from switchboard.tasks.models import TaskDraft
from switchboard.teams.models import Principal, Team

INBOX_PAGE = 50  # get_messages' default limit
PARTS = ("tasks", "messages", "wake", "dashboard", "mcp", "rest", "dag", "scale")


async def claim_complete_throughput(url: str, data_dir: Path, workers: int, tasks: int) -> float:
    """Tasks claimed and completed per second by `workers` concurrent agents through the service."""
    settings = Settings(data_dir=data_dir, database_url=url, db_pool_size=workers, rate_burst=10**9)
    async with running_hub(settings) as hub:
        admin = await hub.keys.authenticate(settings.admin_key_file.read_text().strip())
        team = await hub.teams.create_team(admin, admin.org_id, f"bench {secrets.token_hex(3)}")
        agents = []
        for i in range(workers):
            issued = await hub.keys.create_key(admin, team.id, f"worker-{i}")
            agents.append(await hub.keys.authenticate(issued.plaintext))
        for start in range(0, tasks, 1000):
            drafts = [TaskDraft(title=f"t{i}") for i in range(start, min(tasks, start + 1000))]
            await hub.tasks.create_tasks_batch(admin, drafts, team.id)

        async def work(agent: object) -> int:
            done = 0
            while (task := await hub.claims.claim_next(agent)) is not None:  # type: ignore[arg-type]
                await hub.claims.complete_task(agent, task.id, "SUCCESS")  # type: ignore[arg-type]
                done += 1
            return done

        started = time.perf_counter()
        counts = await asyncio.gather(*(work(a) for a in agents))
        elapsed = time.perf_counter() - started
        assert sum(counts) == tasks, (sum(counts), tasks)
        return tasks / elapsed


async def _bench_team(hub: Hub, settings: Settings, name: str) -> tuple[Principal, Team]:
    admin = await hub.keys.authenticate(settings.admin_key_file.read_text().strip())
    return admin, await hub.teams.create_team(admin, admin.org_id, f"{name} {secrets.token_hex(3)}")


async def message_fanout(url: str, data_dir: Path, members: int, sends: int) -> list[float]:
    """Milliseconds per `send_message` to a group of `members` agents (one delivery each) through the service."""
    settings = Settings(data_dir=data_dir, database_url=url, rate_burst=10**9)
    async with running_hub(settings) as hub:
        admin, team = await _bench_team(hub, settings, "fanout")
        for i in range(members):
            await hub.teams.create_agent(admin, team.id, f"builder-{i}", "engineer")
        manager = await hub.keys.authenticate((await hub.keys.create_key(admin, team.id, "manager")).plaintext)
        samples = []
        for i in range(sends):
            started = time.perf_counter()
            sent = await hub.messages.send_message(
                manager, MessageDraft.model_validate({"target": "builders", "message": f"directive {i}"})
            )
            samples.append((time.perf_counter() - started) * 1000)
            assert sent.recipients == members, sent.recipients
        return samples


async def inbox_latency(url: str, data_dir: Path, stored: int, page: int) -> list[float]:
    """Milliseconds per `get_messages` (a page of `page`, marked read) by an agent holding `stored` messages, until
    every one is read."""
    settings = Settings(data_dir=data_dir, database_url=url, rate_burst=10**9)
    async with running_hub(settings) as hub:
        admin, team = await _bench_team(hub, settings, "inbox")
        sender = await hub.teams.create_agent(admin, team.id, "sender", "engineer")
        reader = await hub.keys.authenticate((await hub.keys.create_key(admin, team.id, "reader")).plaintext)
        assert reader.agent is not None
        await _store_messages(hub, team.id, sender.id, reader.agent.id, stored)
        samples = []
        query = InboxQuery(limit=page)
        for _ in range(stored // page):
            started = time.perf_counter()
            inbox = await hub.messages.get_messages(reader, query)
            samples.append((time.perf_counter() - started) * 1000)
            assert len(inbox.messages) == page, len(inbox.messages)
        return samples


async def _store_messages(hub: Hub, team_id: int, sender_id: int, reader_id: int, count: int) -> None:
    """Fill the reader's inbox in bulk: building the data set is not what is measured."""
    now = hub.clock()
    priorities = list(MessagePriority)
    rows = [
        {
            "team_id": team_id,
            "sender_agent_id": sender_id,
            "sender": "sender",
            "target_kind": "agent",
            "target_name": "reader",
            "target_agent_id": reader_id,
            "message_type": MessageType.STATUS.value,
            "priority": int(priorities[i % len(priorities)]),
            "body": f"status {i}: all tests pass on branch feature/{i}",
            "recipient_count": 1,
            "created_at": now,
        }
        for i in range(count)
    ]
    async with hub.db.write() as conn:
        inserted = await conn.execute(
            schema.messages.insert().returning(schema.messages.c.id, sort_by_parameter_order=True), rows
        )
        ids = [r.id for r in inserted]
        await conn.execute(
            schema.messages.update().values(thread_id=schema.messages.c.id).where(schema.messages.c.team_id == team_id)
        )
        await conn.execute(
            schema.message_deliveries.insert(),
            [{"message_id": m, "agent_id": reader_id, "priority": rows[i]["priority"]} for i, m in enumerate(ids)],
        )
    if hub.db.dialect == "postgresql":
        # A database that grew to this size has statistics (autovacuum analyzes it); a bulk load has none yet.
        async with hub.db.write() as conn:
            await conn.exec_driver_sql("ANALYZE messages, message_deliveries")


async def mcp_claim_next_latency(url: str, data_dir: Path, calls: int) -> list[float]:
    """Milliseconds per `claim_next` tool call (nothing ready) over Streamable HTTP to a hub in its own process,
    one call after another through the MCP SDK's client."""
    async with hub_process(url, data_dir) as hub:
        async with httpx.AsyncClient(base_url=hub.base, headers={"Authorization": f"Bearer {hub.admin_key}"}) as http:
            org_id = (await http.get("/api/v1/whoami")).json()["org_id"]
            team = (
                await http.post(f"/api/v1/orgs/{org_id}/teams", json={"name": f"lat {secrets.token_hex(3)}"})
            ).json()
            key = (await http.post(f"/api/v1/teams/{team['id']}/keys", json={"program_id": "builder"})).json()["key"]
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as client_http,
            Client(streamable_http_client(f"{hub.base}/mcp", http_client=client_http)) as client,
        ):
            for _ in range(50):
                await client.call_tool("claim_next", {})
            samples = []
            for _ in range(calls):
                started = time.perf_counter()
                result = await client.call_tool("claim_next", {})
                samples.append((time.perf_counter() - started) * 1000)
                assert not result.is_error, result
        return samples


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--group", type=int, default=100, help="agents a fan-out message reaches")
    parser.add_argument("--sends", type=int, default=100, help="fan-out messages sent per run")
    parser.add_argument("--stored", type=int, default=10_000, help="messages in the reading agent's inbox")
    parser.add_argument("--wakes", type=int, default=200, help="create_task -> waiting claim_next rounds per run")
    parser.add_argument("--waiters", type=int, default=1000, help="waiting calls a hub holds for the memory figure")
    parser.add_argument("--board-tasks", type=int, default=2000, help="tasks on the dashboard's board")
    parser.add_argument("--paints", type=int, default=5, help="page loads of the board per run")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients for the mcp and rest parts")
    parser.add_argument("--load-processes", type=int, default=2, help="processes the clients are spread over")
    parser.add_argument("--load-seconds", type=float, default=5.0, help="seconds measured per load phase")
    parser.add_argument("--mcp-rate", type=float, default=600, help="paced MCP calls per second (the target)")
    parser.add_argument("--rest-rate", type=float, default=1500, help="paced REST calls per second (the target)")
    parser.add_argument(
        "--hub-workers", default="1,2", help="`serve --workers` settings for the mcp and rest parts, comma-separated"
    )
    parser.add_argument("--dag-rounds", type=int, default=5, help="batches (and refused cyclic ones) per run")
    parser.add_argument("--dependents", type=int, default=1000, help="waiting dependents of the completed task")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="tasks in the store, comma-separated")
    parser.add_argument("--scale-passes", type=int, default=5, help="turns each store size takes")
    parser.add_argument("--scale-rounds", type=int, default=200, help="claim+complete rounds per store and pass")
    parser.add_argument("--only", choices=PARTS, help="run one part only")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    task_rows, message_rows = [], []
    for backend in ("sqlite", "postgres"):
        if args.only in (None, "tasks"):
            rates, latencies = [], []
            for _ in range(args.runs):
                rates.append(
                    await on_fresh_database(
                        backend, lambda url, tmp: claim_complete_throughput(url, tmp, args.workers, args.tasks)
                    )
                )
                latencies.append(
                    await on_fresh_database(backend, lambda url, tmp: mcp_claim_next_latency(url, tmp, args.calls))
                )
            task_rows.append((backend, statistics.median(rates), *p50_p99(latencies)))
        if args.only in (None, "messages"):
            sends, reads = [], []
            for _ in range(args.runs):
                sends.append(
                    await on_fresh_database(backend, lambda url, tmp: message_fanout(url, tmp, args.group, args.sends))
                )
                reads.append(
                    await on_fresh_database(backend, lambda url, tmp: inbox_latency(url, tmp, args.stored, INBOX_PAGE))
                )
            message_rows.append((backend, *p50_p99(sends), *p50_p99(reads)))
    if args.only in (None, "wake"):
        await print_wake_figures(args.runs, args.wakes, args.waiters)
    if args.only in (None, "dashboard"):
        await print_dashboard_figures(args.runs, args.board_tasks, args.paints)
    load = LoadSettings(args.clients, args.load_processes, seconds=args.load_seconds)
    for part in ("mcp", "rest"):
        if args.only in (None, part):
            workers = tuple(int(n) for n in args.hub_workers.split(","))
            await print_serving_figures(part, args.runs, ServingTargets(load, args.mcp_rate, args.rest_rate, workers))
    if args.only in (None, "dag"):
        await print_dag_figures(args.runs, args.dag_rounds, args.dependents)
    if args.only in (None, "scale"):
        await print_scale_figures([int(n) for n in args.sizes.split(",")], args.scale_passes, args.scale_rounds)
    if task_rows:
        print(
            f"\n{args.workers} workers, {args.tasks} tasks, {args.calls} sequential MCP calls, "
            f"median of {args.runs} runs\n"
        )
        print("| backend | claim+complete per second | MCP claim_next p50 (ms) | MCP claim_next p99 (ms) |")
        print("| --- | ---: | ---: | ---: |")
        for backend, rate, p50, p99 in task_rows:
            print(f"| {backend} | {rate:,.0f} | {p50:.2f} | {p99:.2f} |")
    if message_rows:
        print(
            f"\n{args.sends} sends to a group of {args.group}; get_messages pages of {INBOX_PAGE} (marked read) until "
            f"{args.stored:,} stored messages are read; median of {args.runs} runs\n"
        )
        print(
            f"| backend | send to {args.group} p50 (ms) | send to {args.group} p99 (ms) "
            "| get_messages p50 (ms) | get_messages p99 (ms) |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        for backend, send50, send99, read50, read99 in message_rows:
            print(f"| {backend} | {send50:.2f} | {send99:.2f} | {read50:.2f} | {read99:.2f} |")


async def print_wake_figures(runs: int, wakes: int, waiters: int) -> None:
    rows = []
    for label, backend, across in (
        ("sqlite", "sqlite", False),
        ("sqlite, two hubs", "sqlite", True),
        ("postgres", "postgres", False),
        ("postgres, two hubs", "postgres", True),
    ):
        latencies = [
            await on_fresh_database(backend, lambda url, tmp, a=across: wake_latency(url, tmp, wakes, across_hubs=a))
            for _ in range(runs)
        ]
        memory = (
            (0.0, 0.0, 0.0)
            if across
            else await on_fresh_database(backend, lambda url, tmp: memory_of_waiters(url, tmp, waiters))
        )
        rows.append((label, *p50_p99(latencies), *memory))
    print(f"\nwake-ups: {wakes} rounds of create_task -> waiting claim_next, median of {runs} runs; memory of a hub")
    print(f"process holding {waiters} waiting REST claim-next calls\n")
    print(
        "| backend | wake p50 (ms) | wake p99 (ms) | hub RSS idle (MiB) | with waiters (MiB) | all answered after "
        "a batch (s) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, p50, p99, idle, holding, drained in rows:
        memory = f"{idle:.0f} | {holding:.0f} | {drained:.2f}" if "two hubs" not in label else "| |"
        print(f"| {label} | {p50:.2f} | {p99:.2f} | {memory} |")


async def print_dashboard_figures(runs: int, tasks: int, paints: int) -> None:
    rows = []
    for backend in ("sqlite", "postgres"):
        measured = [
            await on_fresh_database(backend, lambda url, tmp: board_first_paint(url, tmp, tasks, paints))
            for _ in range(runs)
        ]
        samples = [sample for run, _ in measured for sample in run]
        rows.append((backend, measured[-1][1], statistics.median(samples), max(samples)))
    print(f"\ndashboard: the board of a team with {tasks:,} tasks, from navigation start to painted with every")
    print(f"card, in headless Chromium; {paints} page loads per run after one to warm up, {runs} runs\n")
    print("| backend | cards on the board | first paint median (ms) | slowest (ms) |")
    print("| --- | ---: | ---: | ---: |")
    for backend, cards, median, slowest in rows:
        print(f"| {backend} | {cards:,} | {median:.0f} | {slowest:.0f} |")


if __name__ == "__main__":
    asyncio.run(main())
