"""The REST transport under /api/v1. Routes parse, call a service, and shape the answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from switchboard.api import (
    rest_dashboard,
    rest_events,
    rest_messages,
    rest_prompts,
    rest_questions,
    rest_reviews,
    rest_sprints,
    rest_state,
    rest_tasks,
    rest_teams,
    rest_turns,
    rest_usage,
    rest_webhooks,
    rest_worktrees,
)
from switchboard.api.dependencies import Caller
from switchboard.api.errors import ERROR_RESPONSES
from switchboard.api.shapes import principal_json

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.get("/whoami", status_code=200, tags=["identity"])
async def whoami(principal: Caller) -> dict[str, Any]:
    """Who the key in the Authorization header belongs to."""
    return principal_json(principal)


# Routes are matched in order, one pattern at a time: the calls agents make most (claiming, heartbeats, completing,
# messages) come first.
router.include_router(rest_tasks.router)
router.include_router(rest_messages.router)
router.include_router(rest_teams.router)
router.include_router(rest_sprints.router)
router.include_router(rest_state.router)
router.include_router(rest_questions.router)
router.include_router(rest_usage.router)
router.include_router(rest_worktrees.router)
router.include_router(rest_reviews.router)
router.include_router(rest_events.router)
router.include_router(rest_webhooks.router)
router.include_router(rest_prompts.router)
router.include_router(rest_turns.router)
router.include_router(rest_dashboard.router)
