"""REST routes for people in the loop: questions agents ask and people answer, and alerts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from switchboard.api.bounds import LongText, WaitSeconds
from switchboard.api.dependencies import Caller, CurrentHub, PathId
from switchboard.api.disconnects import unless_disconnected
from switchboard.questions import alerts
from switchboard.questions.models import OPTIONS_MAX, TIMEOUT_DEFAULT_MINUTES, TIMEOUT_MAX_MINUTES, TIMEOUT_MIN_MINUTES
from switchboard.questions.service import LIST_MAX

router = APIRouter(tags=["questions"])
Limit = Annotated[int, Query(ge=1, le=LIST_MAX)]
AlertLimit = Annotated[int, Query(ge=1, le=alerts.LIST_MAX)]


class NewQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    question: LongText
    options: list[str] | None = Field(
        None, max_length=OPTIONS_MAX, description="Two or more choices to pick from, or none for a free answer."
    )
    kind: str | None = Field(None, description="question (default), approval or review.")
    task_id: int | None = Field(None, validation_alias=AliasChoices("task_id", "taskId"))
    timeout_minutes: int | None = Field(
        None,
        ge=TIMEOUT_MIN_MINUTES,
        le=TIMEOUT_MAX_MINUTES,
        validation_alias=AliasChoices("timeout_minutes", "timeoutMinutes"),
        description=f"Default {TIMEOUT_DEFAULT_MINUTES}.",
    )


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: LongText = Field(description="With options, one of them (any case).")


class NewAlert(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    message: LongText
    priority: str | None = Field(None, description="low, normal (default), high or critical.")
    task_id: int | None = Field(None, validation_alias=AliasChoices("task_id", "taskId"))


# -- questions ----------------------------------------------------------------------------------------------------


@router.post("/teams/{team_id}/questions", status_code=201)
async def ask_human(team_id: PathId, body: NewQuestion, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Ask the people watching the team (agent keys only); it expires unanswered after `timeout_minutes`."""
    asked = await hub.questions.ask_human(
        principal, body.question, body.options, body.kind, body.task_id, body.timeout_minutes, team_id
    )
    return asked.to_json()


@router.get("/teams/{team_id}/questions", status_code=200)
async def list_team_questions(
    team_id: PathId, principal: Caller, hub: CurrentHub, status: str | None = None, limit: Limit = 100
) -> dict[str, Any]:
    """The team's questions, pending first, oldest first. `status`: pending, answered, expired or all (default).

    An agent sees the questions it asked.
    """
    found = await hub.questions.list_questions(principal, team_id, status, limit)
    return {"questions": [q.to_json() for q in found]}


@router.get("/questions", status_code=200)
async def list_questions(
    principal: Caller, hub: CurrentHub, status: str | None = None, limit: Limit = 100
) -> dict[str, Any]:
    """Questions across every team the key reaches (an admin key: its org), pending first, oldest first."""
    found = await hub.questions.list_questions(principal, None, status, limit)
    return {"questions": [q.to_json() for q in found]}


@router.get("/questions/{question_id}", status_code=200)
async def get_response(
    question_id: PathId, principal: Caller, hub: CurrentHub, request: Request, wait_seconds: WaitSeconds = 0
) -> dict[str, Any]:
    """A question with its status and, once answered, the answer (the asker, managers and admins). With
    `wait_seconds`, a pending question waits for its answer."""
    waited = hub.questions.get_response(principal, question_id, wait_seconds)
    return (await unless_disconnected(request.receive, waited, wait_seconds)).to_json()


@router.post("/questions/{question_id}/answer", status_code=200)
async def answer_question(question_id: PathId, body: Answer, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Answer a pending question; the asker is sent a message. 409 when answered already or expired, 422 when
    the answer is not one of the options, 403 for agents (managers only where the team allows it)."""
    return (await hub.questions.answer(principal, question_id, body.answer)).to_json()


# -- alerts -------------------------------------------------------------------------------------------------------


@router.post("/teams/{team_id}/alerts", status_code=201, tags=["alerts"])
async def send_alert(team_id: PathId, body: NewAlert, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Record an alert for the people watching the team."""
    alert = await hub.questions.alerts.send_alert(principal, body.message, body.priority, body.task_id, team_id)
    return alert.to_json()


@router.get("/teams/{team_id}/alerts", status_code=200, tags=["alerts"])
async def list_team_alerts(
    team_id: PathId, principal: Caller, hub: CurrentHub, unacknowledged_only: bool = False, limit: AlertLimit = 100
) -> dict[str, Any]:
    """The team's alerts, newest first (people and managers)."""
    found = await hub.questions.alerts.list_alerts(principal, team_id, unacknowledged_only, limit)
    return {"alerts": [a.to_json() for a in found]}


@router.get("/alerts", status_code=200, tags=["alerts"])
async def list_alerts(
    principal: Caller, hub: CurrentHub, unacknowledged_only: bool = False, limit: AlertLimit = 100
) -> dict[str, Any]:
    """Alerts across every team the key reaches (an admin key: its org), newest first."""
    found = await hub.questions.alerts.list_alerts(principal, None, unacknowledged_only, limit)
    return {"alerts": [a.to_json() for a in found]}


@router.post("/alerts/{alert_id}/acknowledge", status_code=200, tags=["alerts"])
async def acknowledge_alert(alert_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Mark an alert as seen (people and managers); acknowledging it again changes nothing."""
    return (await hub.questions.alerts.acknowledge_alert(principal, alert_id)).to_json()
