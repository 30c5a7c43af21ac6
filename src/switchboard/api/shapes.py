"""JSON shapes of records, shared by REST, MCP and the CLI so each looks the same everywhere."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from switchboard.teams.models import Agent, AgentView, ApiKey, Group, IssuedKey, Org, Principal, Team


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def org_json(org: Org) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "slug": org.slug, "created_at": iso(org.created_at)}


HIDDEN = "(hidden)"


def team_json(team: Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "org_id": team.org_id,
        "name": team.name,
        "slug": team.slug,
        "settings": asdict(team.settings),
        "created_at": iso(team.created_at),
    }


def agent_json(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "team_id": agent.team_id,
        "name": agent.name,
        "role": agent.role,
        "model": agent.model,
        "description": agent.description,
        "groups": list(agent.groups),
        "config": _masked(agent.config),
        "created_at": iso(agent.created_at),
        "last_seen_at": iso(agent.last_seen_at),
    }


def agent_view_json(view: AgentView) -> dict[str, Any]:
    return {
        **agent_json(view.agent),
        "status": view.status.value,
        "active_task_count": view.active_task_count,
        "runner": view.runner,
    }


def group_json(group: Group) -> dict[str, Any]:
    return {"name": group.name, "description": group.description, "members": list(group.members)}


def key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "kind": key.kind,
        "agent_id": key.agent_id,
        "label": key.label,
        "prefix": key.prefix,
        "created_at": iso(key.created_at),
        "expires_at": iso(key.expires_at),
        "revoked_at": iso(key.revoked_at),
        "last_used_at": iso(key.last_used_at),
    }


def issued_key_json(issued: IssuedKey) -> dict[str, Any]:
    data = {
        **key_json(issued.key),
        "key": issued.plaintext,
        "warning": "This is the only time the key is shown. Store it now.",
    }
    if issued.agent is not None:
        data["agent"] = agent_json(issued.agent)
        data["program_id"] = issued.agent.name
    return data


def principal_json(principal: Principal) -> dict[str, Any]:
    agent = principal.agent
    return {
        "kind": "admin" if agent is None else "agent",
        "org_id": principal.org_id,
        "key_id": principal.key_id,
        "role": principal.role,
        "agent": agent_json(agent) if agent is not None else None,
        "team_id": agent.team_id if agent is not None else None,
        "name": agent.name if agent is not None else None,
    }


def _masked(config: dict[str, Any]) -> dict[str, Any]:
    """An agent's settings with its runner's secret and environment values hidden: team members read them."""
    runner = config.get("runner")
    if not isinstance(runner, dict):
        return config
    shown = dict(runner)
    if "secret" in shown:
        shown["secret"] = HIDDEN
    if isinstance(shown.get("env"), dict):
        shown["env"] = {name: HIDDEN for name in shown["env"]}
    return {**config, "runner": shown}
