"""A story's status, progress and current action, applied through the task services so the task rules hold once."""

from __future__ import annotations

from enum import Enum
from typing import Any

from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from switchboard.sprints.models import Story, sprint_key
from switchboard.tasks.claims import ClaimService
from switchboard.tasks.models import TaskStatus
from switchboard.tasks.service import TaskService, _validated_changes
from switchboard.teams.models import Principal


class StoryAction(Enum):
    CLAIM = "claim"
    RELEASE = "release"
    SUCCESS = "SUCCESS"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    CANCEL = "cancel"


# The seeds' story statuses and the task statuses, each meaning one thing done to the story's task.
STORY_STATUSES: dict[str, StoryAction] = {
    "active": StoryAction.CLAIM,
    "in_progress": StoryAction.CLAIM,
    "claimed": StoryAction.CLAIM,
    "done": StoryAction.SUCCESS,
    "completed": StoryAction.SUCCESS,
    "success": StoryAction.SUCCESS,
    "skipped": StoryAction.SKIPPED,
    "failed": StoryAction.FAILED,
    "cancelled": StoryAction.CANCEL,
    "canceled": StoryAction.CANCEL,
    "todo": StoryAction.RELEASE,
    "ready": StoryAction.RELEASE,
    "created": StoryAction.RELEASE,
}
_FINISHING = (StoryAction.SUCCESS, StoryAction.SKIPPED, StoryAction.FAILED)
# Refusals of the task services, re-raised naming the story (others pass through unchanged).
_EXPLAINED = (Conflict, Forbidden, InvalidInput, NotFound, TooLarge)


def parse_story_status(raw: str | None) -> StoryAction | None:
    if raw is None or not raw.strip():
        return None
    action = STORY_STATUSES.get(raw.strip().lower().replace("-", "_"))
    if action is None:
        raise InvalidInput(
            f"unknown story status {raw!r}; use one of: {', '.join(STORY_STATUSES)}", status=raw, field="status"
        )
    return action


class StoryUpdates:
    def __init__(self, tasks: TaskService, claims: ClaimService) -> None:
        self.tasks = tasks
        self.claims = claims

    async def apply(
        self,
        principal: Principal,
        story: Story,
        status: str | None,
        progress: float | None,
        current_action: str | None,
    ) -> None:
        """A claim first (for `active`), then progress and current action, then the status change."""
        action = parse_story_status(status)
        changes: dict[str, Any] = {
            k: v for k, v in (("progress", progress), ("current_action", current_action)) if v is not None
        }
        _validated_changes(changes)  # refuse bad values before anything changes
        if action is None and not changes:
            raise InvalidInput("nothing to update: give a status, progress or current_action")
        try:
            await self._apply(principal, story, action, changes)
        except _EXPLAINED as exc:
            raise type(exc)(
                f"story {story.story_id!r} of {sprint_key(story.sprint_id)}: {exc.message}", **exc.details
            ) from exc

    async def _apply(
        self, principal: Principal, story: Story, action: StoryAction | None, changes: dict[str, Any]
    ) -> None:
        task_id = story.task.id
        held = _holds(principal, story)
        if action == StoryAction.CLAIM and not held:
            await self.claims.claim_task(principal, task_id)
            held = True
        if changes:
            await self.tasks.update_task(principal, task_id, changes)
        if action in _FINISHING:
            assert action is not None
            await self.claims.complete_task(principal, task_id, action.value)
        elif action == StoryAction.CANCEL:
            await self.tasks.cancel_task(principal, task_id, reason="cancelled through its sprint story")
        elif action == StoryAction.RELEASE:
            await self._release(principal, story, held)

    async def _release(self, principal: Principal, story: Story, held: bool) -> None:
        status = story.task.status
        if held:
            await self.claims.unclaim_task(principal, story.task.id, reason="set back to todo through its sprint story")
        elif status == TaskStatus.CLAIMED:
            raise Conflict(
                f"it is held by {story.task.holder}; only its holder can give it back", holder=story.task.holder
            )
        elif status.is_terminal:
            raise Conflict(
                f"it is already {status.value}; retry_task brings back a failed or cancelled story",
                status=status.value,
            )


def _holds(principal: Principal, story: Story) -> bool:
    agent = principal.agent
    return agent is not None and story.task.status == TaskStatus.CLAIMED and story.task.holder_agent_id == agent.id
