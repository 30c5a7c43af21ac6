"""CLI commands for usage and presence: `usage` (the cost summary), `settings show|set`, `sessions`."""

from __future__ import annotations

import json
from typing import Annotated, Any

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
from switchboard.client import DEFAULT_URL

settings_app = typer.Typer(help="The team's settings: limits, leases, presence timeouts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("usage")(usage)
    app.command("sessions")(sessions)
    app.add_typer(settings_app, name="settings")


def usage(
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Days back, today included.")] = 7,
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """What the team spent: per day, per agent, per model, and today against the daily limit."""
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{resolve_team(client, team)}/usage/summary", days=days)
    if as_json:
        print_json(answer)
        return
    columns = ["tokens in", "tokens out", "cost $", "reports"]
    table("by day (UTC)", ["date", *columns], [(d["date"], *_figures(d)) for d in answer["by_day"]])
    table("by agent", ["agent", *columns], [(a["agent"], *_figures(a)) for a in answer["by_agent"]])
    table("by model", ["model", *columns], [(m["model"], *_figures(m)) for m in answer["by_model"]])
    totals, today = answer["totals"], answer["today"]
    say(f"total over {answer['days']} day(s): ${totals['cost_usd']:.2f}")
    limit = today["daily_cost_limit_usd"]
    if limit is None:
        say(f"today: ${today['cost_usd']:.2f} (no daily limit)")
    else:
        say(f"today: ${today['cost_usd']:.2f} of ${limit:.2f}, ${today['remaining_usd']:.2f} left")


def sessions(
    team: TeamOption = None,
    agent: Annotated[str | None, typer.Option(help="Only this agent's sessions (name or id).")] = None,
    include_ended: Annotated[bool, typer.Option("--all", help="Include sessions that are done or closed.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The team's working sessions: who is running, how far along, doing what."""
    with hub_session(url, key) as client:
        answer = client.get(
            f"/teams/{resolve_team(client, team)}/sessions", agent=agent, include_ended=include_ended or None
        )
    if as_json:
        print_json(answer)
        return
    rows = [
        (s["agent"], s["session_id"], s["status"], s["progress"], s["current_action"], s["updated_at"])
        for s in answer["sessions"]
    ]
    table("sessions", ["agent", "session", "status", "progress %", "doing", "last update"], rows)


@settings_app.command("show")
def settings_show(
    team: TeamOption = None, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """Every setting of the team, defaults included."""
    with hub_session(url, key) as client:
        answer = client.get(f"/settings/teams/{resolve_team(client, team)}")
    _show(answer, as_json)


@settings_app.command("set")
def settings_set(
    pairs: Annotated[
        list[str],
        typer.Argument(
            help="key=value pairs, e.g. daily_cost_limit_usd=10 max_concurrent_agents=3; `null` removes a limit.",
            show_default=False,
        ),
    ],
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change some settings (managers and admins); the others keep their values."""
    changes = dict(_setting(pair) for pair in pairs)
    with hub_session(url, key) as client:
        answer = client.patch(f"/settings/teams/{resolve_team(client, team)}", changes)
    _show(answer, as_json)


def _setting(pair: str) -> tuple[str, Any]:
    name, sep, raw = pair.partition("=")
    if not sep or not name.strip():
        raise typer.BadParameter(f"{pair!r} is not key=value", param_hint="PAIRS")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw  # a bare word, such as a model name
    return name.strip(), value


def _show(answer: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(answer)
        return
    table(f"settings of team {answer['id']} ({answer['name']})", ["setting", "value"], list(answer["settings"].items()))


def _figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["tokens_in"], row["tokens_out"], f"{row['cost_usd']:.2f}", row["reports"])
