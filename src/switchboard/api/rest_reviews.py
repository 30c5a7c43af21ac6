"""REST routes for reviews: ask for one on a task, give its verdict, and read a task's or a team's reviews."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from switchboard.api.bounds import LongText
from switchboard.api.dependencies import Caller, CurrentHub, PathId
from switchboard.limits import TEXT_MAX_BYTES
from switchboard.reviews.models import COMMENTS_MAX
from switchboard.reviews.service import LIST_LIMIT_MAX

router = APIRouter(tags=["reviews"])


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer: str | int | None = Field(
        default=None, description="The agent to ask (name or id); default: the hub picks one."
    )
    summary: LongText | None = Field(default=None, description="What changed and how it was tested.")
    attempt: int | None = Field(
        default=None, description="The attempt number your claim returned; a stale one is refused."
    )


class ReviewVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    verdict: str = Field(
        validation_alias=AliasChoices("verdict", "status"),
        description="approve, request_changes (or changes_requested) or reject.",
    )
    summary: LongText | None = None
    comments: list[str | dict[str, Any]] | None = Field(
        None,
        max_length=COMMENTS_MAX,
        description=f'Strings or objects such as {{"file", "line", "body"}}; at most {TEXT_MAX_BYTES} bytes in all.',
    )


def _reviews(items: list[Any]) -> dict[str, Any]:
    return {"reviews": [r.to_json() for r in items], "count": len(items)}


@router.post("/tasks/{task_id}/review-request", status_code=201)
async def request_review(
    task_id: PathId, principal: Caller, hub: CurrentHub, body: ReviewRequest | None = None
) -> dict[str, Any]:
    """Send a claimed task to review: it waits `in_review` and a reviewer is asked by message (409 if it is not
    claimed, already in review, or the team has no reviewer to ask)."""
    body = body or ReviewRequest()
    outcome = await hub.reviews.request_review(principal, task_id, body.reviewer, body.summary, body.attempt)
    return outcome.to_json()


@router.post("/tasks/{task_id}/reviews", status_code=200)
async def submit_review(task_id: PathId, body: ReviewVerdict, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The verdict on the task's pending review: approve (done; merged first when the repository asks),
    request_changes (back to the engineer) or reject (failed). Of verdicts given at once one is kept, others 409."""
    outcome = await hub.reviews.submit_review(principal, task_id, body.verdict, body.summary, body.comments)
    return outcome.to_json()


@router.get("/tasks/{task_id}/reviews", status_code=200)
async def task_reviews(task_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Every review of the task, oldest first."""
    return _reviews(await hub.reviews.reviews_of_task(principal, task_id))


@router.get("/teams/{team_id}/reviews", status_code=200)
async def team_reviews(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    status: str | None = Query(None, description="pending, approved, changes_requested, rejected, withdrawn or all."),
    reviewer: str | None = Query(None, description="Only reviews assigned to this agent (name or id)."),
    limit: int = Query(100, ge=1, le=LIST_LIMIT_MAX, description="At most this many."),
) -> dict[str, Any]:
    """The team's reviews, pending ones oldest first and others newest first."""
    return _reviews(await hub.reviews.list_reviews(principal, team_id, status, reviewer, limit))
