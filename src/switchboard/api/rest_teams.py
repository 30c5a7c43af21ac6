"""REST routes for orgs, teams, their settings, agents, groups and keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from switchboard.api.dependencies import Caller, CurrentHub, PathId
from switchboard.api.shapes import (
    agent_json,
    agent_view_json,
    group_json,
    issued_key_json,
    key_json,
    org_json,
    team_json,
)
from switchboard.limits import (
    ATTEMPTS_MAX,
    LEASE_MAX_SECONDS,
    LEASE_MIN_SECONDS,
    PRESENCE_MAX_SECONDS,
    PRESENCE_MIN_SECONDS,
)
from switchboard.teams.service import DESCRIPTION_MAX_CHARS, GROUP_DESCRIPTION_MAX_CHARS, MODEL_MAX_CHARS

router = APIRouter()
AgentModel = Annotated[str | None, Field(max_length=MODEL_MAX_CHARS)]


class NewOrg(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    slug: str | None = None


class NewTeam(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    slug: str | None = None


class SettingsChanges(BaseModel):
    """Only the settings sent change; `null` clears a limit."""

    model_config = ConfigDict(extra="forbid")

    lease_seconds: int | None = Field(None, ge=LEASE_MIN_SECONDS, le=LEASE_MAX_SECONDS)
    max_attempts: int | None = Field(None, ge=1, le=ATTEMPTS_MAX)
    daily_cost_limit_usd: float | None = Field(None, ge=0)
    max_concurrent_agents: int | None = Field(None, ge=1)
    default_model: str | None = None
    offline_after_seconds: int | None = Field(None, ge=PRESENCE_MIN_SECONDS, le=PRESENCE_MAX_SECONDS)
    session_timeout_seconds: int | None = Field(None, ge=PRESENCE_MIN_SECONDS, le=PRESENCE_MAX_SECONDS)
    managers_answer_questions: bool | None = None


class NewAgent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: str = "engineer"
    model: AgentModel = None
    description: str | None = None
    groups: list[str] | None = None
    config: dict[str, Any] | None = None


class AgentChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: AgentModel = None
    description: str | None = Field(None, max_length=DESCRIPTION_MAX_CHARS)
    runner: dict[str, Any] | None = None


class NewGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = Field(None, max_length=GROUP_DESCRIPTION_MAX_CHARS)
    members: list[str | int] = Field(default_factory=list)


class GroupMembers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[str | int]


class NewAgentKey(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    program_id: str | int = Field(
        validation_alias=AliasChoices("program_id", "programId", "agent", "agent_id"),
        description="The agent's name or id; a new name creates the agent with `role`.",
    )
    label: str | None = None
    role: str | None = None
    expires_at: AwareDatetime | None = None


class NewAdminKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    expires_at: AwareDatetime | None = None


# -- orgs ---------------------------------------------------------------------------------------------------------


@router.post("/orgs", status_code=201, tags=["orgs"])
async def create_org(body: NewOrg, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Create an org and its first admin key (admin keys only). The key's plaintext is shown in this answer only."""
    org, issued = await hub.keys.create_org(principal, body.name, body.slug)
    return {"org": org_json(org), "admin_key": issued_key_json(issued)}


@router.get("/orgs", status_code=200, tags=["orgs"])
async def list_orgs(principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The org the caller's key belongs to (a key reaches exactly one)."""
    return {"orgs": [org_json(await hub.teams.get_org(principal, principal.org_id))]}


@router.get("/orgs/{org_id}", status_code=200, tags=["orgs"])
async def get_org(org_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """One org; any org but the caller's own is not found."""
    return org_json(await hub.teams.get_org(principal, org_id))


@router.post("/orgs/{org_id}/keys", status_code=201, tags=["keys"])
async def create_admin_key(org_id: PathId, body: NewAdminKey, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Issue another admin key for the org (admin keys only). The plaintext is shown in this answer only."""
    return issued_key_json(await hub.keys.create_admin_key(principal, body.label, body.expires_at, org_id=org_id))


# -- teams --------------------------------------------------------------------------------------------------------


@router.post("/orgs/{org_id}/teams", status_code=201, tags=["teams"])
async def create_team(org_id: PathId, body: NewTeam, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Create a team (admin keys only) with its `manager` agent, shown under `manager`, and its default groups."""
    team, manager = await hub.teams.create_team_with_manager(principal, org_id, body.name, body.slug)
    return {**team_json(team), "manager": agent_json(manager)}


@router.get("/orgs/{org_id}/teams", status_code=200, tags=["teams"])
async def list_teams(org_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The org's teams an admin key sees; an agent key sees only its own team."""
    return {"teams": [team_json(t) for t in await hub.teams.list_teams(principal, org_id)]}


@router.get("/teams/{team_id}", status_code=200, tags=["teams"])
async def get_team(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """One team with its settings."""
    return team_json(await hub.teams.get_team(principal, team_id))


@router.get("/settings/teams/{team_id}", status_code=200, tags=["teams"])
async def get_team_settings(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The team with its settings: lease length, attempts, daily cost limit, concurrency cap, default model,
    and the presence timeouts (agent offline after, session closed after)."""
    return team_json(await hub.teams.get_team(principal, team_id))


@router.patch("/settings/teams/{team_id}", status_code=200, tags=["teams"])
async def update_team_settings(
    team_id: PathId, body: SettingsChanges, principal: Caller, hub: CurrentHub
) -> dict[str, Any]:
    """Change some of the team's settings (a manager or admin); the others keep their values. Answers the team."""
    changes = body.model_dump(exclude_unset=True)
    return team_json(await hub.teams.update_settings(principal, team_id, changes))


# -- agents and groups --------------------------------------------------------------------------------------------


@router.post("/teams/{team_id}/agents", status_code=201, tags=["agents"])
async def create_agent(team_id: PathId, body: NewAgent, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Add an agent to the team (a manager or admin). Without `groups`, its role picks them."""
    agent = await hub.teams.create_agent(
        principal,
        team_id,
        body.name,
        body.role,
        model=body.model,
        description=body.description,
        groups=body.groups,
        config=body.config,
    )
    return agent_json(agent)


@router.get("/teams/{team_id}/agents", status_code=200, tags=["agents"])
async def list_agents(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Every agent of the team with its status (idle, busy, offline) and active task count."""
    return {"agents": [agent_view_json(v) for v in await hub.teams.list_agents(principal, team_id)]}


@router.get("/agents/{agent_id}", status_code=200, tags=["agents"])
async def get_agent(agent_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """One agent of a team the caller reaches."""
    return agent_json(await hub.teams.get_agent(principal, agent_id))


@router.patch("/agents/{agent_id}", status_code=200, tags=["agents"])
async def update_agent(agent_id: PathId, body: AgentChanges, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Change an agent's model, description or runner (a manager or admin); only the fields sent change.

    A runner makes the dispatcher start turns for the agent: `{"type": "command", "command": "...",
    "timeout_seconds": 900, "env": {}}` or `{"type": "webhook", "url": "...", "secret": "..."}`; `null` removes it.
    """
    return agent_json(await hub.teams.update_agent(principal, agent_id, body.model_dump(exclude_unset=True)))


@router.get("/teams/{team_id}/groups", status_code=200, tags=["agents"])
async def list_groups(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The team's groups and their members; `all` holds every agent."""
    return {"groups": [group_json(g) for g in await hub.teams.list_groups(principal, team_id)]}


@router.post("/teams/{team_id}/groups", status_code=201, tags=["agents"])
async def create_group(team_id: PathId, body: NewGroup, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Create a group (a manager or admin), optionally with members; not `all`, nor an agent's name."""
    group = await hub.teams.create_group(principal, team_id, body.name, body.description, body.members)
    return group_json(group)


@router.post("/teams/{team_id}/groups/{name}/members", status_code=200, tags=["agents"])
async def add_group_members(
    team_id: PathId, name: str, body: GroupMembers, principal: Caller, hub: CurrentHub
) -> dict[str, Any]:
    """Put agents (names or ids) into a group (a manager or admin); an agent cannot add itself."""
    return group_json(await hub.teams.add_group_members(principal, team_id, name, body.members))


@router.delete("/teams/{team_id}/groups/{name}/members/{agent}", status_code=200, tags=["agents"])
async def remove_group_member(
    team_id: PathId, name: str, agent: str, principal: Caller, hub: CurrentHub
) -> dict[str, Any]:
    """Take an agent (name or id) out of a group (a manager or admin). Answers the group."""
    return group_json(await hub.teams.remove_group_members(principal, team_id, name, [agent]))


# -- keys ---------------------------------------------------------------------------------------------------------


@router.post("/teams/{team_id}/keys", status_code=201, tags=["keys"])
async def create_agent_key(team_id: PathId, body: NewAgentKey, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Issue a key for an agent (a manager or admin); a new name creates the agent. The plaintext is shown once."""
    issued = await hub.keys.create_key(principal, team_id, str(body.program_id), body.label, body.role, body.expires_at)
    return issued_key_json(issued)


@router.get("/teams/{team_id}/keys", status_code=200, tags=["keys"])
async def list_team_keys(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The team's keys the caller may see (never their plaintext): an agent sees its own."""
    return {"keys": [key_json(k) for k in await hub.keys.list_keys(principal, team_id)]}


@router.get("/keys", status_code=200, tags=["keys"])
async def list_keys(principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Every key the caller may see: an agent its own, a manager its team's, an admin its org's."""
    return {"keys": [key_json(k) for k in await hub.keys.list_keys(principal)]}


@router.post("/keys/{key_id}/revoke", status_code=200, tags=["keys"])
async def revoke_key(key_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Revoke a key at once; revoking it again changes nothing. An agent may revoke its own."""
    return key_json(await hub.keys.revoke(principal, key_id))


@router.delete("/keys/{key_id}", status_code=200, tags=["keys"])
async def delete_key(key_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Revoke a key, as `POST /keys/{key_id}/revoke` does; the record stays for the audit trail."""
    return key_json(await hub.keys.revoke(principal, key_id))
