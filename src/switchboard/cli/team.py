"""Setting a team up: `init`, and the `agent` and `key` commands."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
from switchboard.client import DEFAULT_URL, HubClient, HubRefused

DEFAULT_AGENTS = ("builder:engineer", "reviewer:reviewer")
MCP_SERVER_NAME = "switchboard"

agent_app = typer.Typer(help="Agents of a team.", no_args_is_help=True)
key_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)


def init(
    team: Annotated[str, typer.Option("--team", help="Team name; reused if a team with its slug exists.")],
    agents: Annotated[
        list[str] | None,
        typer.Option(
            "--agent",
            help="NAME[:ROLE], repeatable. [default: builder:engineer, reviewer:reviewer]",
            show_default=False,
        ),
    ] = None,
    directory: Annotated[Path, typer.Option("--dir", help="Each agent's .mcp.json goes to DIR/<agent>/.")] = Path("."),
    org_id: Annotated[int | None, typer.Option("--org-id", help="Org id; default: the key's org.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a team (or reuse it), give each agent a key, and write each agent's .mcp.json."""
    specs = [_agent_spec(a) for a in agents or DEFAULT_AGENTS]
    with hub_session(url, key) as client:
        org = org_id if org_id is not None else _own_org(client)
        created = _create_or_reuse_team(client, org, team)
        issued = []
        for name, role in specs:
            body = {"program_id": name, "label": f"{name} (switchboard init)", "role": role}
            answer = client.post(f"/teams/{created['id']}/keys", body)
            path = write_mcp_config(directory / name, f"{client.url}/mcp", answer["key"])
            issued.append({**answer, "mcp_config": str(path)})
    if as_json:
        print_json({"team": created, "agents": issued})
        return
    say(f"team {created['name']} (id {created['id']}, slug {created['slug']})")
    rows = [(a["agent"]["name"], a["agent"]["role"], a["mcp_config"]) for a in issued]
    table(None, ["agent", "role", "file"], rows)
    say("Start each agent in its folder; the files hold their keys, so keep them out of version control.")


def _agent_spec(text: str) -> tuple[str, str | None]:
    name, _, role = text.partition(":")
    if not name.strip():
        raise typer.BadParameter(f"{text!r}: expected NAME or NAME:ROLE", param_hint="--agent")
    return name.strip(), role.strip() or None


def _own_org(client: HubClient) -> int:
    orgs = client.get("/orgs")["orgs"]
    if not orgs:
        raise typer.BadParameter("the key sees no org; name one", param_hint="--org-id")
    return int(orgs[0]["id"])


def _create_or_reuse_team(client: HubClient, org_id: int, name: str) -> dict[str, Any]:
    try:
        team: dict[str, Any] = client.post(f"/orgs/{org_id}/teams", {"name": name})
        return team
    except HubRefused as exc:
        if exc.status != 409:
            raise
        slug = exc.details.get("slug")
        for existing in client.get(f"/orgs/{org_id}/teams")["teams"]:
            if existing["slug"] == slug:
                reused: dict[str, Any] = existing
                return reused
        raise


def write_mcp_config(folder: Path, mcp_url: str, key: str) -> Path:
    """Write (or update) folder/.mcp.json with this hub as an MCP server; readable by its owner only."""
    path = folder / ".mcp.json"
    folder.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {}
    if path.exists():
        try:
            config = json.loads(path.read_text())
        except ValueError:
            config = {}
    servers = config.setdefault("mcpServers", {})
    servers[MCP_SERVER_NAME] = {"url": mcp_url, "headers": {"Authorization": f"Bearer {key}"}}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(config, indent=2) + "\n")
    os.chmod(path, 0o600)
    return path


# -- agent ------------------------------------------------------------------------------------------------------


@agent_app.command("list")
def agent_list(
    team: TeamOption = None, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """The team's agents with their status and active task count."""
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{resolve_team(client, team)}/agents")
    if as_json:
        print_json(answer)
        return
    rows = [
        (a["id"], a["name"], a["role"], a.get("status"), a.get("active_task_count"), a["model"], a["groups"])
        for a in answer["agents"]
    ]
    table("agents", ["id", "name", "role", "status", "active", "model", "groups"], rows)


@agent_app.command("create")
def agent_create(
    name: Annotated[str, typer.Argument(help="Agent name, unique in the team (e.g. eng-backend).")],
    team: TeamOption = None,
    role: Annotated[str, typer.Option(help="manager, engineer, reviewer, or any word.")] = "engineer",
    model: Annotated[str | None, typer.Option(help="The model the agent runs on.")] = None,
    description: Annotated[str | None, typer.Option(help="What the agent is good at.")] = None,
    groups: Annotated[list[str] | None, typer.Option("--group", help="Group to join, repeatable.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an agent to a team (managers and admins)."""
    body: dict[str, Any] = {"name": name, "role": role, "model": model, "description": description}
    if groups:
        body["groups"] = groups
    with hub_session(url, key) as client:
        answer = client.post(f"/teams/{resolve_team(client, team)}/agents", body)
    report(answer, as_json, f"created agent {answer['name']} (id {answer['id']}, role {answer['role']})")


# -- key --------------------------------------------------------------------------------------------------------


@key_app.command("create")
def key_create(
    program_id: Annotated[str, typer.Argument(help="Agent name or id; an unknown name becomes a new agent.")],
    team: TeamOption = None,
    label: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
    role: Annotated[str | None, typer.Option(help="Role of the agent, if it is created.")] = None,
    expires_in_days: Annotated[float | None, typer.Option(help="The key stops working after this.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a key for an agent. The plaintext is shown this once."""
    body: dict[str, Any] = {"program_id": program_id, "label": label, "role": role}
    if expires_in_days is not None:
        body["expires_at"] = (datetime.now(UTC) + timedelta(days=expires_in_days)).isoformat()
    with hub_session(url, key) as client:
        answer = client.post(f"/teams/{resolve_team(client, team)}/keys", body)
    if as_json:
        print_json(answer)
        return
    say(f"key {answer['id']} for {answer.get('program_id', program_id)} (shown once, store it now):")
    say(answer["key"])


@key_app.command("list")
def key_list(
    team: Annotated[int | None, typer.Option("--team", help="Only this team's keys.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Keys you may see, never in plaintext."""
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{team}/keys" if team is not None else "/keys")
    if as_json:
        print_json(answer)
        return
    rows = [
        (
            k["id"],
            k["kind"],
            k["agent_id"],
            k["label"],
            k["prefix"],
            k["expires_at"],
            k["revoked_at"],
            k["last_used_at"],
        )
        for k in answer["keys"]
    ]
    table("keys", ["id", "kind", "agent", "label", "prefix", "expires", "revoked", "last used"], rows)


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (from `key list`).")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a key: it stops working at once."""
    with hub_session(url, key) as client:
        answer = client.post(f"/keys/{key_id}/revoke")
    report(answer, as_json, f"key {key_id} revoked")
