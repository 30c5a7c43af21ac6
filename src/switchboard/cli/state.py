"""The `state` commands: an agent's program state, its history, and the team's overview."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

import typer

from switchboard.cli._common import (
    JsonOption,
    KeyOption,
    TeamOption,
    UrlOption,
    hub_session,
    print_json,
    resolve_team,
    say,
    table,
)
from switchboard.client import DEFAULT_URL, HubClient

state_app = typer.Typer(help="Program state: what each agent keeps across sessions.", no_args_is_help=True)

AgentArgument = Annotated[
    str | None,
    typer.Argument(help="The agent's name or id; by default the agent whose key you use.", show_default=False),
]


def register(app: typer.Typer) -> None:
    app.add_typer(state_app, name="state")


@state_app.command("show")
def state_show(
    agent: AgentArgument = None,
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """An agent's current program state: its version and whole document."""
    with hub_session(url, key) as client:
        answer = client.get(f"/agents/{_agent(client, agent)}/state", team_id=team)
    if as_json:
        print_json(answer)
        return
    if answer["version"] == 0:
        say(f"{answer['program_id']} has no program state yet")
        return
    say(f"{answer['program_id']}: version {answer['version']}, by {answer['updated_by']} at {answer['updated_at']}")
    say(json.dumps(answer["state"], indent=2, ensure_ascii=False))


@state_app.command("history")
def state_history(
    agent: AgentArgument = None,
    team: TeamOption = None,
    limit: Annotated[int, typer.Option(help="At most this many versions (1-100).")] = 20,
    before: Annotated[int | None, typer.Option(help="Only versions older than this one.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """An agent's earlier program-state versions, newest first."""
    with hub_session(url, key) as client:
        answer = client.get(
            f"/agents/{_agent(client, agent)}/state/history", team_id=team, limit=limit, before_version=before
        )
    if as_json:
        print_json(answer)
        return
    rows = [(v["version"], v["mode"], v["updated_by"], v["updated_at"], sorted(v["state"])) for v in answer["versions"]]
    table(f"program state of {answer['program_id']}", ["version", "mode", "by", "at", "keys"], rows)
    if answer.get("next_before_version") is not None:
        say(f"older versions follow (--before {answer['next_before_version']})")


@state_app.command("list")
def state_list(
    team: TeamOption = None, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """Every agent of the team with its state's version and context summary (managers and admins)."""
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{resolve_team(client, team)}/states")
    if as_json:
        print_json(answer)
        return
    rows = [
        (s["program_id"], s["role"], s["version"], _brief(s["context_summary"]), s["keys"], s["updated_at"])
        for s in answer["states"]
    ]
    table("program states", ["agent", "role", "version", "context summary", "keys", "updated"], rows)


def _agent(client: HubClient, agent: str | None) -> str:
    """The agent named, or the one whose key this is."""
    if agent is not None:
        return quote(agent, safe="")
    me = client.get("/whoami")
    if me.get("name") is None:
        raise typer.BadParameter("name an agent: an admin key has no program state", param_hint="AGENT")
    return str(me["name"])


def _brief(summary: Any, width: int = 80) -> str | None:
    if summary is None:
        return None
    text = summary if isinstance(summary, str) else json.dumps(summary, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"
