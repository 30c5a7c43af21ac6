"""REST routes for turns: what the dispatcher ran for each agent, with its outcome and output."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from switchboard.api.dependencies import Caller, CurrentHub, PathId, QueryId
from switchboard.dispatch.service import LIST_MAX

router = APIRouter()


@router.get("/teams/{team_id}/turns", status_code=200, tags=["turns"])
async def list_turns(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    agent: Annotated[str | None, Query(description="An agent's name or id.")] = None,
    task_id: QueryId = None,
    status: Annotated[str | None, Query(description="running, succeeded, failed, timed_out, lost or error.")] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX)] = 50,
    before: QueryId = None,
) -> dict[str, Any]:
    """The team's turns, newest first (without their prompts); `before` (a turn id) pages back."""
    turns = await hub.turns.list_turns(
        principal, team_id, agent=agent, task_id=task_id, status=status, limit=limit, before=before
    )
    return {"turns": [t.to_json(with_prompt=False) for t in turns]}


@router.get("/turns/{turn_id}", status_code=200, tags=["turns"])
async def get_turn(turn_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """One turn with its prompt, triggers, exit code, output tail and usage."""
    return (await hub.turns.get_turn(principal, turn_id)).to_json()


@router.get("/tasks/{task_id}/turns", status_code=200, tags=["turns"])
async def task_turns(task_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The turns started for a task, newest first."""
    return {"turns": [t.to_json(with_prompt=False) for t in await hub.turns.task_turns(principal, task_id)]}
