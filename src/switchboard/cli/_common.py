"""What every client command shares: the hub's URL and key, `--json`, output, and exit codes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from switchboard.client import HubClient, HubRefused, HubUnreachable, default_key

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

UrlOption = Annotated[str, typer.Option("--url", envvar="SWITCHBOARD_URL", help="The hub's base URL.")]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="SWITCHBOARD_KEY",
        show_envvar=True,
        help="API key; defaults to the admin key in $SWITCHBOARD_DATA_DIR/admin.key.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the hub's raw JSON answer.")]
TeamOption = Annotated[
    int | None, typer.Option("--team", help="Team id; an agent key defaults to its own team.", show_default=False)
]

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


@contextmanager
def hub_session(url: str, key: str | None) -> Iterator[HubClient]:
    """A client for the hub; a refusal exits with 1, an unreachable hub with 3, each with its message."""
    key = key or default_key()
    if not key:
        raise typer.BadParameter(
            "no API key: pass --key, set SWITCHBOARD_KEY, or run where the hub's admin.key is", param_hint="--key"
        )
    try:
        with HubClient(url, key) as client:
            yield client
    except HubRefused as exc:
        errors.print(f"error: {exc.message} ({exc.code}, HTTP {exc.status})", markup=False)
        raise typer.Exit(EXIT_REFUSED) from exc
    except HubUnreachable as exc:
        errors.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_UNREACHABLE) from exc


def resolve_team(client: HubClient, team: int | None) -> int:
    """The team a command acts on: the one named, or the caller's own when its key belongs to an agent."""
    if team is not None:
        return team
    me = client.get("/whoami")
    if me.get("team_id") is None:
        raise typer.BadParameter("an admin key acts on several teams: name one", param_hint="--team")
    return int(me["team_id"])


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def say(text: str) -> None:
    console.print(text, markup=False, soft_wrap=True)


def report(answer: Any, as_json: bool, line: str) -> None:
    """The raw answer with `--json`, else one line for a person."""
    if as_json:
        print_json(answer)
    else:
        say(line)


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(v) for v in row))
    console.print(grid)


_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _cell(value: Any) -> Text:
    # Text, not str: titles and results are the agents' words, never Rich markup.
    if value is None:
        return Text("-")
    if isinstance(value, list | tuple):
        return Text(", ".join(str(v) for v in value) or "-")
    text = str(value)
    if _TIMESTAMP.match(text):
        return Text(text[:19].replace("T", " "))  # seconds are precise enough in a table; --json has it all
    return Text(text)
