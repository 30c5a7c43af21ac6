"""The `sprint` commands: create one from a JSON or YAML file, show one with its waves, list them, complete one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from switchboard.cli._common import (
    JsonOption,
    KeyOption,
    TeamOption,
    UrlOption,
    hub_session,
    print_json,
    report,
    resolve_team,
    say,
    table,
)
from switchboard.client import DEFAULT_URL

sprint_app = typer.Typer(help="Sprints: stories in waves, each story a task.", no_args_is_help=True)

SprintId = Annotated[str, typer.Argument(help="The sprint's number or key (12 or sprint-12).")]


def register(app: typer.Typer) -> None:
    app.add_typer(sprint_app, name="sprint")


@sprint_app.command("create")
def sprint_create(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="A JSON or YAML file: project_name (or projectName), branch, stories [{id, title, wave, "
            "dependencies, target, instructions}].",
        ),
    ],
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a sprint: each story becomes a task; wave k opens when every earlier wave is done."""
    body = _read_definition(file)
    with hub_session(url, key) as client:
        answer = client.post(f"/teams/{resolve_team(client, team)}/sprints", body)
    report(answer, as_json, f"created {_line(answer)}")
    if not as_json:
        _show_waves(answer)


@sprint_app.command("show")
def sprint_show(
    sprint_id: SprintId, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """A sprint's waves and stories: status, holder, progress, what each waits for."""
    with hub_session(url, key) as client:
        answer = client.get(f"/sprints/{sprint_id}")
    if as_json:
        print_json(answer)
        return
    say(_line(answer))
    _show_waves(answer)


@sprint_app.command("list")
def sprint_list(
    team: TeamOption = None,
    status: Annotated[str | None, typer.Option(help="active or completed.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The team's sprints, newest first, with their progress."""
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{resolve_team(client, team)}/sprints", status=status)
    if as_json:
        print_json(answer)
        return
    rows = [
        (s["key"], s["status"], s["project_name"], s["branch"], f"{s['done']}/{s['total']}", s["current_wave"])
        for s in answer["sprints"]
    ]
    table("sprints", ["sprint", "status", "project", "branch", "done", "current wave"], rows)


@sprint_app.command("complete")
def sprint_complete(
    sprint_id: SprintId,
    force: Annotated[bool, typer.Option("--force", help="Cancel the open stories and complete it anyway.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Complete a sprint; refused while stories are open, unless --force cancels them."""
    with hub_session(url, key) as client:
        answer = client.post(f"/sprints/{sprint_id}/complete", {"force": force})
    report(answer, as_json, f"completed {_line(answer)}")


def _read_definition(file: Path) -> dict[str, Any]:
    text = file.read_text(encoding="utf-8")
    try:
        # JSON first: its errors are clearer for a .json file than YAML's.
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise typer.BadParameter(f"{file} is not valid JSON or YAML: {exc}", param_hint="FILE") from exc
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{file} must hold an object with project_name and stories", param_hint="FILE")
    return data


def _line(sprint: dict[str, Any]) -> str:
    branch = f" on {sprint['branch']}" if sprint.get("branch") else ""
    return (
        f"{sprint['key']} [{sprint['status']}] {sprint['project_name']}{branch}: "
        f"{sprint['done']}/{sprint['total']} done ({sprint['percent_done']}%)"
    )


def _show_waves(sprint: dict[str, Any]) -> None:
    for wave in sprint.get("waves", []):
        rows = [
            (s["story_id"], s["task_id"], s["status"], s["title"], s["holder"], s["progress"], s["current_action"])
            for s in wave["stories"]
        ]
        columns = ["story", "task", "status", "title", "holder", "progress", "current action"]
        table(f"wave {wave['wave']} ({wave['status']})", columns, rows)
