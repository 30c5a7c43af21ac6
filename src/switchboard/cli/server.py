"""Commands that run the hub itself: `serve`, `migrate`, and `mcp` (stdio for one agent)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import anyio
import typer
import uvicorn

from switchboard.api.app import create_app
from switchboard.api.mcp import serve_stdio
from switchboard.cli._common import EXIT_REFUSED, JsonOption, errors, print_json, report, say
from switchboard.cli._memory import freeze_startup_objects, pin_mmap_threshold
from switchboard.cli._serving import dispatcher_for, serve_workers, server_config
from switchboard.config import Settings
from switchboard.errors import SwitchboardError
from switchboard.hub import Hub
from switchboard.logs import LogFormat, log_to_stderr
from switchboard.storage.migrate import current_revision

T = TypeVar("T")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="SWITCHBOARD_DATABASE_URL",
        help="postgresql://... or sqlite:///...; default: SQLite in the data directory.",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="SWITCHBOARD_DATA_DIR", help="Where SQLite and admin.key live. [default: .data]"),
]


MaxTurnsOption = Annotated[
    int | None,
    typer.Option(
        "--max-turns", envvar="SWITCHBOARD_MAX_TURNS", min=1, help="Turns at once in this process. [default: 32]"
    ),
]
PublicUrlOption = Annotated[
    str | None,
    typer.Option(
        "--public-url",
        envvar="SWITCHBOARD_PUBLIC_URL",
        help="The URL turns reach the hub at. [default: http://HOST:PORT]",
    ),
]


class LogLevel(StrEnum):
    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on. [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on. [default: 8000]")] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    log_level: Annotated[LogLevel, typer.Option(case_sensitive=False)] = LogLevel.INFO,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            envvar="SWITCHBOARD_LOG_FORMAT",
            case_sensitive=False,
            help="json: one JSON object per line, with a line per request (key id, route or tool, status, duration).",
        ),
    ] = LogFormat.TEXT,
    dispatch: Annotated[
        bool | None,
        typer.Option(
            "--dispatch/--no-dispatch", help="Run the dispatcher (turns for agents with runners). [default: on]"
        ),
    ] = None,
    max_turns: MaxTurnsOption = None,
    public_url: PublicUrlOption = None,
    workers: Annotated[
        int,
        typer.Option(
            envvar="SWITCHBOARD_WORKERS",
            min=1,
            help="Hub processes answering on the port, each using up to a core (about 900 REST reads a second). Rate "
            "limits count per process.",
        ),
    ] = 1,
    as_json: JsonOption = False,
) -> None:
    """Run the hub: migrate the database, make sure there is an admin key, serve REST and MCP, and dispatch turns."""
    settings = Settings().with_overrides(
        host=host,
        port=port,
        database_url=database,
        data_dir=data_dir,
        dispatch=dispatch,
        max_turns=max_turns,
        public_url=public_url,
    )
    log_to_stderr(log_level, log_format)
    if workers == 1:
        pin_mmap_threshold()
        _run(_serve, settings, log_level.value, log_format, as_json)
        return
    created = _run(_prepare, settings)
    _announce(settings, created, as_json, workers)
    serve_workers(settings, log_level.value, log_format, workers)


async def _serve(settings: Settings, log_level: str, log_format: LogFormat, as_json: bool) -> None:
    hub = Hub(settings)
    try:
        await hub.migrate()
        created = await hub.ensure_admin_key()
        _announce(settings, created, as_json)
        dispatcher = dispatcher_for(hub, settings) if settings.dispatch else None
        config = server_config(create_app(hub, dispatcher=dispatcher), settings, log_level, log_format)
        freeze_startup_objects()
        await uvicorn.Server(config).serve()
    finally:
        await hub.close()


async def _prepare(settings: Settings) -> str | None:
    """What the workers of `serve --workers` find done: the database migrated, and an admin key."""
    hub = Hub(settings)
    try:
        await hub.migrate()
        return await hub.ensure_admin_key()
    finally:
        await hub.close()


def _announce(settings: Settings, created: str | None, as_json: bool, workers: int = 1) -> None:
    url = f"http://{settings.host}:{settings.port}"
    key_file = str(settings.admin_key_file.resolve())
    if as_json:
        print_json(
            {"url": url, "mcp_url": f"{url}/mcp", "admin_key_file": key_file, "admin_key": created, "workers": workers}
        )
        return
    processes = f", {workers} worker processes" if workers > 1 else ""
    say(f"Switchboard on {url} (MCP at {url}/mcp{processes})")
    say(f"admin key file: {key_file}")
    if created is not None:
        say(f"new admin key (shown once, also in the file above): {created}")
    sys.stdout.flush()


def dispatcher(
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
    max_turns: MaxTurnsOption = None,
    public_url: PublicUrlOption = None,
    log_level: Annotated[LogLevel, typer.Option(case_sensitive=False)] = LogLevel.INFO,
) -> None:
    """Run only the dispatcher and the periodic work (lease sweep, question expiry), beside hubs that serve.

    Turns reach the hub at --public-url. Several dispatchers may share one PostgreSQL database: an agent still
    runs one turn at a time, and a trigger starts one turn.
    """
    settings = Settings().with_overrides(
        database_url=database, data_dir=data_dir, max_turns=max_turns, public_url=public_url
    )
    _log_to_stderr(log_level)
    _run(_dispatch, settings)


async def _dispatch(settings: Settings) -> None:
    hub = Hub(settings)
    try:
        await hub.migrate()
        await hub.start_listening()
        dispatcher = dispatcher_for(hub, settings)
        say(f"dispatcher {dispatcher.hub_id}: turns for {settings.hub_url}, at most {settings.max_turns} at once")
        sys.stdout.flush()
        async with anyio.create_task_group() as group:
            group.start_soon(hub.run_periodic)
            group.start_soon(dispatcher.run)
    finally:
        await hub.close()


def migrate(database: DatabaseOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Apply the schema migrations and print the revision the database is at."""
    settings = Settings().with_overrides(database_url=database, data_dir=data_dir)
    _log_to_stderr("warning")
    revision = _run(_migrate, settings)
    report({"revision": revision}, as_json, f"database at revision {revision}")


async def _migrate(settings: Settings) -> str | None:
    hub = Hub(settings)
    try:
        await hub.migrate()
        return await current_revision(hub.db)
    finally:
        await hub.close()


def mcp(
    key: Annotated[
        str | None, typer.Option("--key", envvar="SWITCHBOARD_KEY", show_envvar=True, help="The agent's API key.")
    ] = None,
    database: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """MCP over stdin/stdout for one agent, acting with its key. Stdout carries only the protocol."""
    if not key:
        raise typer.BadParameter("pass the agent's key with --key or SWITCHBOARD_KEY", param_hint="--key")
    settings = Settings().with_overrides(database_url=database, data_dir=data_dir)
    _log_to_stderr("warning")
    _run(_mcp, settings, key)


async def _mcp(settings: Settings, key: str) -> None:
    hub = Hub(settings)
    try:
        await hub.migrate()
        await hub.start_listening()
        await serve_stdio(hub, key)
    finally:
        await hub.close()


def _run(main: Callable[..., Awaitable[T]], *args: object) -> T:
    """Run the hub's async code; a refusal (bad key, database down) is one line on stderr and exit code 1."""
    try:
        return anyio.run(main, *args, backend_options={"use_uvloop": _has_uvloop()})
    except SwitchboardError as exc:
        errors.print(f"error: {exc.message}", markup=False)
        raise typer.Exit(EXIT_REFUSED) from exc


def _has_uvloop() -> bool:
    # uvloop's event loop makes each request cheaper for the hub; the standard one serves where it is missing.
    return importlib.util.find_spec("uvloop") is not None


def _log_to_stderr(level: str) -> None:
    log_to_stderr(level)
