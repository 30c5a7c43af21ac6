"""Fresh databases for measurements, and the figures drawn from samples."""

from __future__ import annotations

import gc
import os
import secrets
import statistics
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import asyncpg  # type: ignore[import-untyped]

PG_SERVER = os.environ.get("SWITCHBOARD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
T = TypeVar("T")


async def on_fresh_database(backend: str, measure: Callable[[str, Path], Awaitable[T]]) -> T:
    """Run one measurement on a new SQLite file or a new PostgreSQL database, dropped afterwards."""
    async with fresh_database(backend) as (url, data_dir):
        return await measure(url, data_dir)


@asynccontextmanager
async def fresh_database(backend: str) -> AsyncIterator[tuple[str, Path]]:
    """A new SQLite file (the empty URL: SQLite in the data directory) or a new PostgreSQL database, and a data
    directory; both removed when the block ends.

    What earlier measurements left is collected first, and what lives on (modules, compiled statements) is frozen,
    as `switchboard serve` freezes what its startup built: otherwise each full collection of this process walks
    every part's leftovers, and its pauses (up to 90 ms) land in whichever part is measuring."""
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory() as tmp:
        url = "" if backend == "sqlite" else await create_postgres_database()
        try:
            yield url, Path(tmp)
        finally:
            if url:
                await drop_postgres_database(url)


async def create_postgres_database() -> str:
    name = f"switchboard_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{PG_SERVER}/{name}"


async def drop_postgres_database(url: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def p50_p99(runs: list[list[float]]) -> tuple[float, float]:
    """The median over runs of each run's median and 99th percentile."""
    return statistics.median(statistics.median(r) for r in runs), statistics.median(percentile(r, 99) for r in runs)
