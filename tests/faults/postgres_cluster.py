"""A PostgreSQL cluster of a test's own (Debian's `pg_createcluster`), to stop and restart without touching the
server other tests share."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import asyncpg  # type: ignore[import-untyped]
import pytest

from tests.conftest import IN_CI
from tests.live_hub import free_port

NAME_PREFIX = "switchboard_fault_"
VERSIONS = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class PrivateCluster:
    version: str
    name: str
    port: int

    @property
    def server(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    async def new_database(self) -> str:
        """A fresh database in the cluster, as a URL for the hub."""
        name = f"switchboard_{secrets.token_hex(4)}"
        await _execute(f"{self.server}/postgres", f'CREATE DATABASE "{name}"')
        return f"{self.server.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"

    async def stop(self) -> None:
        """A fast shutdown: sessions are ended, in-flight statements aborted."""
        await anyio.run_process(self._ctl("stop"))

    async def start(self) -> None:
        """Returns once the server accepts connections."""
        await anyio.run_process(self._ctl("start"))

    async def restart(self) -> None:
        await anyio.run_process(self._ctl("restart"))

    def _ctl(self, action: str) -> list[str]:
        return ["pg_ctlcluster", self.version, self.name, action]


async def _execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def private_cluster() -> Iterator[PrivateCluster]:
    """Body of a fixture: a new cluster, started, with trust authentication; dropped at the end."""
    version = _server_version()
    _drop_orphans(version)
    cluster = PrivateCluster(version, f"{NAME_PREFIX}{os.getpid()}_{secrets.token_hex(3)}", free_port())
    try:
        options = ["-p", str(cluster.port), "--start-conf", "manual", "-o", "fsync=off", "-o", "shared_buffers=16MB"]
        # Trust for local and TCP connections, as on the shared test server.
        subprocess.run(
            ["pg_createcluster", *options, version, cluster.name, "--", "--auth=trust"], check=True, capture_output=True
        )
        subprocess.run(cluster._ctl("start"), check=True, capture_output=True)
        yield cluster
    finally:
        subprocess.run(["pg_dropcluster", "--stop", version, cluster.name], capture_output=True)


def _server_version() -> str:
    """The newest PostgreSQL server installed, or a skip (a failure under CI) when clusters cannot be made here."""
    installed = sorted(
        (p.name for p in VERSIONS.iterdir() if (p / "bin" / "postgres").exists()) if VERSIONS.is_dir() else [],
        key=lambda v: [int(part) for part in re.findall(r"\d+", v)],
    )
    problem = None
    if shutil.which("pg_createcluster") is None or not installed:
        problem = "Debian's pg_createcluster and a PostgreSQL server are needed to make a private cluster"
    elif os.geteuid() != 0:
        problem = "making a private PostgreSQL cluster needs root"
    if problem is not None:
        if IN_CI:
            pytest.fail(f"{problem}; under CI=true the PostgreSQL fault tests must run")
        pytest.skip(problem)
    return installed[-1]


def _drop_orphans(version: str) -> None:
    """Clusters left by test processes that died before their cleanup ran."""
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0] != version or not fields[1].startswith(NAME_PREFIX):
            continue
        pid = fields[1].removeprefix(NAME_PREFIX).split("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            subprocess.run(["pg_dropcluster", "--stop", version, fields[1]], capture_output=True)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 0)
        return True
    return False
