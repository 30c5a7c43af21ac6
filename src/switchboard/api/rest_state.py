"""REST routes for program state: an agent's document across sessions, its history, and a team's overview."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from switchboard.api.dependencies import Caller, CurrentHub, PathId, QueryId
from switchboard.errors import InvalidInput
from switchboard.limits import PROGRAM_STATE_MAX_BYTES
from switchboard.state.models import ProgramState
from switchboard.state.service import HISTORY_MAX_PAGE

router = APIRouter(tags=["program state"])

AgentRef = Annotated[str, Path(min_length=1, max_length=100, description="The agent's name (e.g. `builder`) or id.")]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The version you expect, as the ETag the state was read with ("3").'),
]


class StateUpdate(BaseModel):
    """`context_summary` is stored as the document's `contextSummary`; `state` holds any other keys."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    context_summary: Any = Field(None, validation_alias=AliasChoices("context_summary", "contextSummary"))
    state: dict[str, Any] | None = Field(
        None,
        description=f"The whole document is at most {PROGRAM_STATE_MAX_BYTES} bytes as JSON, checked by the hub (413).",
    )
    mode: str = Field("merge", description="merge: replace only the keys sent; replace: the whole document.")
    expected_version: int | None = Field(
        None,
        validation_alias=AliasChoices("expected_version", "expectedVersion"),
        description="Refused with 409 if the state is at another version (another writer got there first).",
    )


@router.get("/agents/{agent_id}/state", status_code=200)
async def get_program_state(
    agent_id: AgentRef, principal: Caller, hub: CurrentHub, response: Response, team_id: QueryId = None
) -> dict[str, Any]:
    """The agent's current document (version 0 and `{}` if it never wrote one); its ETag is the version.

    An agent reads its own; managers and admins any of their team's. An admin names the team of an agent
    given by name with `team_id` when its org has several.
    """
    state = await hub.states.get_program_state(principal, agent_id, team_id or None)
    return _with_etag(state, response)


@router.put("/agents/{agent_id}/state", status_code=200)
async def update_program_state(
    agent_id: AgentRef,
    body: StateUpdate,
    principal: Caller,
    hub: CurrentHub,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Save a new version of your own document: `merge` (default) replaces the top-level keys sent (null
    removes one), `replace` makes the body's document the whole state. `expected_version` (or an `If-Match`
    header) is refused with 409 when the state has moved on, and nothing is written."""
    expected = _expected_version(body.expected_version, if_match)
    state = await hub.states.update_program_state(
        principal, agent_id, body.context_summary, body.state, body.mode, expected
    )
    return _with_etag(state, response)


@router.get("/agents/{agent_id}/state/history", status_code=200)
async def get_program_state_history(
    agent_id: AgentRef,
    principal: Caller,
    hub: CurrentHub,
    limit: Annotated[int, Query(ge=1, le=HISTORY_MAX_PAGE)] = 20,
    before_version: QueryId = None,
    team_id: QueryId = None,
) -> dict[str, Any]:
    """Earlier versions, newest first; pass `next_before_version` as `before_version` for older ones."""
    history = await hub.states.get_program_state_history(principal, agent_id, limit, before_version, team_id or None)
    return history.to_json()


@router.get("/teams/{team_id}/states", status_code=200)
async def list_team_states(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Every agent's current state in brief (version, context summary, keys), for managers and admins."""
    states = await hub.states.list_team_states(principal, team_id)
    return {"team_id": team_id, "states": [state.summary_json(agent.role) for agent, state in states]}


def _with_etag(state: ProgramState, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = f'"{state.version}"'
    return state.to_json()


def _expected_version(in_body: int | None, if_match: str | None) -> int | None:
    """The version the writer expects, from the body or an `If-Match: "3"` header (`*` expects nothing)."""
    if if_match is None or if_match.strip() == "*":
        return in_body
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput(f'If-Match must be a state version such as "3", not {if_match!r}', if_match=if_match)
    if in_body is not None and in_body != int(text):
        raise InvalidInput(
            f"expected_version {in_body} and If-Match {if_match} disagree; send one", expected_version=in_body
        )
    return int(text)
