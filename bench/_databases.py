"""A PostgreSQL database of its own for one measurement, on the local server, dropped afterwards."""

from __future__ import annotations

import os
import secrets

import asyncpg  # type: ignore[import-untyped]

PG_SERVER = os.environ.get("SWITCHBOARD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


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
