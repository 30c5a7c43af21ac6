"""`switchboard demo`: watch a team of scripted agents build a feature, end to end, on this machine."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import anyio
import typer

from switchboard.cli._common import EXIT_REFUSED, JsonOption, print_json, say
from switchboard.config import Settings
from switchboard.demo.run import run_demo, summary_lines


def demo(
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Folder for the repository and the hub's data, kept afterwards. [default: a temporary one]",
        ),
    ] = None,
    database: Annotated[
        str | None, typer.Option("--database", help="postgresql://... to run on PostgreSQL; default SQLite.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A manager, three engineers and a reviewer (scripted agent programs started by the dispatcher) build a
    notification feature in dependency order, in git worktrees of a throwaway repository; each change is reviewed
    and merged. Prints the timeline as it happens, then the turns and the repository's history."""
    keep = workdir is not None
    folder = workdir or Path(tempfile.mkdtemp(prefix="switchboard-demo-"))
    if keep and folder.exists() and any(folder.iterdir()):
        raise typer.BadParameter(f"{folder} is not empty", param_hint="--dir")
    url = Settings(database_url=database or "").resolved_database_url if database else ""
    try:
        result = anyio.run(run_demo, folder, url, (lambda _line: None) if as_json else say)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    if as_json:
        print_json(
            {
                "feature_id": result.feature_id,
                "feature_status": result.feature_status,
                "timeline": result.timeline,
                "turns": [t.to_json(with_prompt=False) for t in result.turns],
                "main_log": result.main_log,
            }
        )
    else:
        say("")
        for line in summary_lines(result):
            say(line)
    if result.feature_status != "done":
        raise typer.Exit(EXIT_REFUSED)
