"""Who may reach what: a key reaches its own team (an admin key, its org); others' objects do not exist."""

from __future__ import annotations

from switchboard.errors import Forbidden, NotFound
from switchboard.teams.models import Principal, Team


def ensure_team_visible(principal: Principal, team: Team) -> None:
    """Refuse with 404, never 403, so other teams' objects cannot even be confirmed to exist."""
    if team.org_id != principal.org_id or (principal.agent is not None and principal.agent.team_id != team.id):
        raise NotFound(f"team {team.id} not found")


def require_manager(principal: Principal, team_id: int, action: str) -> None:
    """Admins and the team's managers may; other agents are refused."""
    agent = principal.agent
    if agent is None or (agent.is_manager and agent.team_id == team_id):
        return
    raise Forbidden(f"only a manager or an admin may {action}; you are {agent.name} ({agent.role})")


def require_admin(principal: Principal, action: str) -> None:
    if not principal.is_admin:
        raise Forbidden(f"only an admin key may {action}")
