"""REST routes for the role prompts, rendered for the caller."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from switchboard.api.dependencies import Caller, CurrentHub, QueryId
from switchboard.prompts.roles import ROLES, caller_role, prompt_for, prompt_role

router = APIRouter(tags=["prompts"])


@router.get("/prompts", status_code=200)
async def list_prompts(principal: Caller) -> dict[str, Any]:
    """The roles with a prompt, and the one the caller's role follows."""
    return {"prompts": list(ROLES), "yours": prompt_role(caller_role(principal))}


@router.get("/prompts/{role}", status_code=200)
async def get_prompt(role: str, principal: Caller, hub: CurrentHub, team_id: QueryId = None) -> dict[str, Any]:
    """A role's system prompt addressed to the caller; a role without its own prompt gets the engineer's.
    `mine` stands for the caller's own role. An admin key whose org has several teams names one with `team_id`."""
    wanted = caller_role(principal) if role == "mine" else role
    text = await prompt_for(hub.teams, principal, wanted, team_id)
    return {"role": wanted, "prompt": prompt_role(wanted), "text": text}
