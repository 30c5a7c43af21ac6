"""REST routes for sprints: create, list, read, add a story, report on a story, complete.

A sprint is named by its number or its key (`12` or `sprint-12`) wherever a path takes one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from switchboard.api.bounds import LongText
from switchboard.api.dependencies import Caller, CurrentHub, PathId
from switchboard.limits import PROGRESS_MAX, SHORT_TEXT_MAX_CHARS
from switchboard.sprints.models import StoryDraft
from switchboard.sprints.service import LIST_MAX, NAME_MAX_CHARS, SPRINT_MAX_STORIES

router = APIRouter(tags=["sprints"])
SprintPath = Annotated[str, Path(max_length=40, description="The sprint's number or key: `12` or `sprint-12`.")]
SprintPage = Annotated[int, Query(ge=1, le=LIST_MAX)]
StoryPath = Annotated[str, Path(max_length=100, description="The story's id, as given when it was created.")]


class NewSprint(BaseModel):
    """A sprint as the seed writes it; `projectName` is accepted for `project_name`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    project_name: str = Field(validation_alias=AliasChoices("project_name", "projectName"))
    branch: str | None = Field(None, max_length=NAME_MAX_CHARS)
    description: LongText | None = None
    stories: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=SPRINT_MAX_STORIES,
        description="Stories: `id`, `title`, `wave`, `dependencies`, and optionally `target`, `instructions`.",
    )

    def drafts(self) -> list[StoryDraft]:
        return [StoryDraft.parse(story, index) for index, story in enumerate(self.stories)]


class StoryChanges(BaseModel):
    """What a story's worker reports; `currentAction` is accepted for `current_action`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: str | None = Field(
        None, description="active, done, skipped, failed, cancelled or todo (and the seeds' other names)."
    )
    progress: float | None = Field(None, ge=0, le=PROGRESS_MAX, description="Percent done.")
    current_action: str | None = Field(
        None, max_length=SHORT_TEXT_MAX_CHARS, validation_alias=AliasChoices("current_action", "currentAction")
    )


class SprintCompletion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(False, description="Cancel the open stories and complete the sprint anyway.")


@router.post("/teams/{team_id}/sprints", status_code=201)
async def create_sprint(team_id: PathId, body: NewSprint, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Create a sprint: one task per story, wave k claimable once every earlier wave is done or skipped.

    If any story is invalid (a duplicate id, an unknown or later-wave dependency, a cycle), nothing is created.
    """
    sprint = await hub.sprints.create_sprint(
        principal, body.project_name, body.branch, body.drafts(), body.description, team_id
    )
    return sprint.to_json()


@router.get("/teams/{team_id}/sprints", status_code=200)
async def list_sprints(
    team_id: PathId, principal: Caller, hub: CurrentHub, status: str | None = None, limit: SprintPage = 100
) -> dict[str, Any]:
    """The team's sprints, newest first, with counts and percent done; `status` is active or completed."""
    sprints = await hub.sprints.list_sprints(principal, status, team_id, limit)
    return {"sprints": [s.to_json() for s in sprints]}


@router.get("/sprints/{sprint_id}", status_code=200)
async def get_sprint(sprint_id: SprintPath, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """A sprint with its waves (done, open or locked) and their stories, counts and percent done."""
    return (await hub.sprints.get_sprint(principal, sprint_id)).to_json()


@router.post("/sprints/{sprint_id}/stories", status_code=201)
async def add_story(sprint_id: SprintPath, body: dict[str, Any], principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Add a story (the fields of a sprint's story); later waves that have not started wait for it too."""
    return (await hub.sprints.add_story_to_sprint(principal, sprint_id, StoryDraft.parse(body))).to_json()


@router.get("/sprints/{sprint_id}/stories/{story_id}", status_code=200)
async def get_story(sprint_id: SprintPath, story_id: StoryPath, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """One story: its task's status, holder, progress and current action, and what it waits for."""
    return (await hub.sprints.get_story(principal, sprint_id, story_id)).to_json()


@router.patch("/sprints/{sprint_id}/stories/{story_id}", status_code=200)
async def update_story(
    sprint_id: SprintPath, story_id: StoryPath, body: StoryChanges, principal: Caller, hub: CurrentHub
) -> dict[str, Any]:
    """Claim (`active`), finish (`done`, `skipped`, `failed`), cancel or give back (`todo`) a story, and record its
    progress and current action, under the task rules."""
    story = await hub.sprints.update_sprint_story(
        principal, sprint_id, story_id, body.status, body.progress, body.current_action
    )
    return story.to_json()


@router.post("/sprints/{sprint_id}/complete", status_code=200)
async def complete_sprint(
    sprint_id: SprintPath, principal: Caller, hub: CurrentHub, body: SprintCompletion | None = None
) -> dict[str, Any]:
    """Complete a sprint; refused (409, naming the open stories) while any is open, unless `force` cancels them."""
    force = body.force if body is not None else False
    return (await hub.sprints.complete_sprint(principal, sprint_id, force)).to_json()
