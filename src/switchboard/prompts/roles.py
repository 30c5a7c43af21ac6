"""Role prompts: markdown templates kept beside this module, rendered for one agent of one team."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from string import Template

from switchboard.teams.models import Agent, Principal, Team
from switchboard.teams.service import TeamService

ROLES: tuple[str, ...] = ("manager", "engineer", "reviewer")
DEFAULT_ROLE = "engineer"


def prompt_role(role: str | None) -> str:
    """The prompt a role gets: its own, or the engineer's for any role without one."""
    return role if role in ROLES else DEFAULT_ROLE


def role_prompt(role: str | None, agent: Agent | None, team: Team) -> str:
    """The system prompt for `role`, addressed to `agent` (or, for a person's key, to whoever takes the role)."""
    groups = ", ".join(agent.groups) if agent is not None and agent.groups else "none"
    return _template(prompt_role(role)).substitute(
        agent_name=agent.name if agent is not None else f"the {prompt_role(role)}",
        team_name=team.name,
        groups=groups,
    )


@cache
def _template(role: str) -> Template:
    return Template(files("switchboard.prompts").joinpath(f"{role}.md").read_text(encoding="utf-8"))


def caller_role(principal: Principal) -> str:
    """The role whose prompt a caller follows: its agent's, or for a person's key the manager's."""
    return principal.agent.role if principal.agent is not None else "manager"


async def prompt_for(teams: TeamService, principal: Principal, role: str | None, team_id: int | None = None) -> str:
    """`role`'s prompt rendered for the caller in its team (an admin key names the team, or its org has one)."""
    team = await teams.default_team(principal, team_id)
    return role_prompt(role, principal.agent, team)
