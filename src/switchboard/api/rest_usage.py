"""REST routes for usage and presence: the cost ledger and summary, working sessions, and heartbeats."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from switchboard.api.bounds import Cost, Model, Tokens
from switchboard.api.dependencies import Caller, CurrentHub, PathId, QueryId
from switchboard.hub import Hub
from switchboard.limits import PROGRESS_MAX, TEXT_MAX_BYTES
from switchboard.presence.service import CURRENT_ACTION_MAX_CHARS
from switchboard.presence.service import LIST_MAX as SESSIONS_MAX
from switchboard.tasks.models import Usage
from switchboard.teams.models import Principal
from switchboard.usage.service import LEDGER_PAGE_MAX, SUMMARY_MAX_DAYS

router = APIRouter()


class UsageReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tokens_in: Tokens = 0
    tokens_out: Tokens = 0
    cost_usd: Cost = 0.0
    model: Model = None
    task_id: int | None = Field(None, description="The task the work was for; its usage totals grow too.")


class SessionPulse(BaseModel):
    """Only the fields sent change. `status`: running, idle, blocked, done or closed (done and closed end it)."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    progress: float | None = Field(None, ge=0, le=PROGRESS_MAX)
    current_action: str | None = Field(None, max_length=CURRENT_ACTION_MAX_CHARS)
    state: dict[str, Any] | str | None = Field(
        None, description=f"At most {TEXT_MAX_BYTES} bytes as JSON, checked by the hub (413)."
    )


# -- usage --------------------------------------------------------------------------------------------------------


async def _report(hub: Hub, principal: Principal, body: UsageReport) -> dict[str, Any]:
    usage = Usage(body.tokens_in, body.tokens_out, body.cost_usd, body.model)
    return (await hub.usage.report_usage(principal, usage, body.task_id)).to_json()


@router.post("/teams/{team_id}/usage", status_code=201, tags=["usage"])
async def report_usage(team_id: PathId, body: UsageReport, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Add the caller's usage to its team's ledger (agents only); with `task_id`, to the task's totals too."""
    await hub.teams.get_team(principal, team_id)
    return await _report(hub, principal, body)


@router.post("/usage", status_code=201, tags=["usage"])
async def report_own_usage(body: UsageReport, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """As `POST /teams/{team_id}/usage`, for the caller's own team."""
    return await _report(hub, principal, body)


@router.get("/teams/{team_id}/usage/summary", status_code=200, tags=["usage"])
async def cost_summary(
    team_id: PathId, principal: Caller, hub: CurrentHub, days: Annotated[int, Query(ge=1, le=SUMMARY_MAX_DAYS)] = 7
) -> dict[str, Any]:
    """The team's spending over the last `days` UTC days: totals, per day, per agent, per model, and today's
    spend against the daily cost limit."""
    return (await hub.usage.get_cost_summary(principal, days, team_id)).to_json()


@router.get("/teams/{team_id}/usage", status_code=200, tags=["usage"])
async def list_usage(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    agent: str | None = None,
    task_id: QueryId = None,
    limit: Annotated[int, Query(ge=1, le=LEDGER_PAGE_MAX)] = 100,
    cursor: QueryId = None,
) -> dict[str, Any]:
    """The team's ledger, newest first, of one agent (name or id) or one task if asked. Pass `next_cursor` back
    as `cursor` for the next page."""
    rows, next_cursor = await hub.usage.list_usage(principal, team_id, agent, task_id, limit, cursor)
    return {"items": [r.to_json() for r in rows], "next_cursor": next_cursor}


# -- presence -----------------------------------------------------------------------------------------------------


@router.put("/sessions/{session_id}", status_code=200, tags=["presence"])
async def update_session(session_id: str, body: SessionPulse, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Open or update one of the caller's working sessions: status, progress, current action, state."""
    session = await hub.sessions.update_session(
        principal, session_id, body.status, body.progress, body.state, body.current_action
    )
    return session.to_json()


@router.get("/teams/{team_id}/sessions", status_code=200, tags=["presence"])
async def list_sessions(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    agent: str | None = None,
    include_ended: bool = False,
    limit: Annotated[int, Query(ge=1, le=SESSIONS_MAX)] = 100,
) -> dict[str, Any]:
    """The team's working sessions, most recently updated first; open ones unless `include_ended`."""
    sessions = await hub.sessions.list_sessions(principal, team_id, agent, include_ended, limit)
    return {"sessions": [s.to_json() for s in sessions]}


@router.post("/agents/me/heartbeat", status_code=200, tags=["presence"])
async def heartbeat(principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Tell the hub the calling agent is alive; answers its status (idle or busy) and `last_seen_at`."""
    return (await hub.claims.heartbeat(principal)).to_json()
