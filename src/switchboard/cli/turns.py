"""The `turn` commands (what the dispatcher ran) and `agent runner` (what it runs for an agent)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

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
from switchboard.client import DEFAULT_URL, HubClient

turn_app = typer.Typer(help="Turns: runs of agents started by the dispatcher.", no_args_is_help=True)


@turn_app.command("list")
def turn_list(
    agent: Annotated[str | None, typer.Option(help="Only this agent's turns (name or id).")] = None,
    task: Annotated[int | None, typer.Option(help="Only turns about this task.")] = None,
    status: Annotated[str | None, typer.Option(help="running, succeeded, failed, timed_out, lost or error.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The team's turns, newest first."""
    params = {"agent": agent, "task_id": task, "status": status, "limit": limit}
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{resolve_team(client, team)}/turns", **params)
    if as_json:
        print_json(answer)
        return
    rows = [
        (
            t["id"],
            t["agent"],
            t["trigger"],
            t["task_id"] or "",
            t["status"],
            "" if t["exit_code"] is None else t["exit_code"],
            "" if t["duration_seconds"] is None else f"{t['duration_seconds']:.1f}s",
            t["started_at"][:19],
        )
        for t in answer["turns"]
    ]
    table("turns", ["id", "agent", "trigger", "task", "status", "exit", "took", "started"], rows)


@turn_app.command("show")
def turn_show(
    turn_id: Annotated[int, typer.Argument(help="The turn's id.")],
    prompt: Annotated[bool, typer.Option("--prompt", help="Print the prompt the turn was given too.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One turn: why it ran, how it ended, and the tail of its output."""
    with hub_session(url, key) as client:
        turn = client.get(f"/turns/{turn_id}")
    if as_json:
        print_json(turn)
        return
    say(f"turn {turn['id']} of {turn['agent']}: {turn['status']} (exit code {turn['exit_code']})")
    say(f"started {turn['started_at']}, ended {turn['ended_at'] or '-'}, runner {turn['runner']}: {turn['command']}")
    for trigger in turn["triggers"]:
        say(f"  because: {trigger['summary']}")
    if turn["error"]:
        say(f"error: {turn['error']}")
    usage = turn["usage"]
    say(f"usage: {usage['tokens_in']} in, {usage['tokens_out']} out, ${usage['cost_usd']:.4f}")
    if prompt:
        say("--- prompt ---")
        say(turn["prompt"])
    if turn["output_tail"]:
        say("--- output (tail) ---")
        say(turn["output_tail"])


def agent_runner(
    name: Annotated[str, typer.Argument(help="The agent's name or id.")],
    command: Annotated[
        str | None,
        typer.Option(
            help="Command line per turn; placeholders {prompt_file} {hub_url} {mcp_url} {task_id} {agent} "
            "{team_id} {turn_id} {worktree} {python}."
        ),
    ] = None,
    timeout: Annotated[int | None, typer.Option(help="Seconds before a turn is stopped. [default: 900]")] = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="NAME=value for the command, repeatable.")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST each turn to this URL instead.")] = None,
    secret: Annotated[str | None, typer.Option(help="The webhook's signing secret (16+ characters).")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the runner: the agent pulls work itself.")] = False,
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set how the dispatcher runs an agent's turns: a command, a webhook, or nothing (--clear)."""
    if sum(x is not None for x in (command, webhook)) + clear != 1:
        raise typer.BadParameter("give one of --command, --webhook or --clear")
    runner: dict[str, Any] | None = None
    if command is not None:
        runner = {"type": "command", "command": command, "env": dict(_pair(e) for e in env or [])}
    elif webhook is not None:
        runner = {"type": "webhook", "url": webhook, "secret": secret or ""}
    if runner is not None and timeout is not None:
        runner["timeout_seconds"] = timeout
    with hub_session(url, key) as client:
        agent_id = _agent_id(client, resolve_team(client, team), name)
        answer = client.patch(f"/agents/{agent_id}", {"runner": runner})
    shown = answer["config"].get("runner")
    report(answer, as_json, f"{answer['name']}: " + (f"{shown['type']} runner set" if shown else "no runner"))


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise typer.BadParameter(f"--env takes NAME=value, not {text!r}")
    return name, value


def _agent_id(client: HubClient, team_id: int, name: str) -> int:
    for agent in client.get(f"/teams/{team_id}/agents")["agents"]:
        if name in (agent["name"], str(agent["id"])):
            return int(agent["id"])
    raise typer.BadParameter(f"no agent {name!r} in team {team_id}")
