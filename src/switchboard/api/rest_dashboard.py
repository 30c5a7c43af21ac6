"""REST routes the dashboard reads, and the one-time sign-in links `switchboard dashboard` prints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from switchboard.api.dependencies import Caller, CurrentHub, PathId
from switchboard.api.shapes import iso
from switchboard.sprints.models import parse_sprint_id
from switchboard.tasks.overview import FINISHED_SHOWN_MAX

router = APIRouter(tags=["dashboard"])


@router.post("/dashboard/login-links", status_code=201)
async def create_login_link(principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """A link that signs a browser in to the dashboard as the caller's admin key: it works once, within ten
    minutes. `path` goes after the hub's URL."""
    link = await hub.web_sessions.create_login_link(principal)
    return {"path": link.path, "expires_at": iso(link.expires_at)}


@router.get("/teams/{team_id}/board", status_code=200)
async def get_board(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    finished: Annotated[
        int, Query(ge=0, le=FINISHED_SHOWN_MAX, description="Finished tasks shown per finished status.")
    ] = 50,
) -> dict[str, Any]:
    """The team's board: every open task (up to 5,000) and the most recently finished ones of each finished status,
    as cards, with every status's count."""
    return (await hub.overview.board(principal, team_id, finished)).to_json()


@router.get("/teams/{team_id}/graph", status_code=200)
async def get_graph(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    sprint_id: str | None = None,
    include_finished: bool = False,
) -> dict[str, Any]:
    """The dependency graph of the team's open tasks (or all, with `include_finished`), or of one sprint's stories:
    nodes with their depth, and one edge per dependency, from the dependency to the task waiting for it."""
    sprint = None if sprint_id is None else parse_sprint_id(sprint_id)
    return (await hub.overview.graph(principal, team_id, sprint, include_finished)).to_json()
