"""REST routes for tasks: create (one or a batch), list, read, claim, work on, finish and steer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from switchboard.api.bounds import Cost, IdempotencyKey, LongText, Model, Tokens, WaitSeconds
from switchboard.api.dependencies import Caller, CurrentHub, PathId, QueryId
from switchboard.api.disconnects import unless_disconnected
from switchboard.limits import (
    ATTEMPTS_MAX,
    BATCH_MAX_TASKS,
    ID_MAX,
    LEASE_MAX_SECONDS,
    LEASE_MIN_SECONDS,
    PROGRESS_MAX,
    SHORT_TEXT_MAX_CHARS,
    TAGS_MAX,
    TITLE_MAX_CHARS,
)
from switchboard.sprints.models import parse_sprint_id
from switchboard.tasks.models import TaskDraft, Usage
from switchboard.tasks.service import MAX_PAGE, TAG_MAX_CHARS, TASK_TYPE_MAX_CHARS, TaskFilters
from switchboard.waiting import COMPLETION_WAIT_MAX_SECONDS

router = APIRouter(tags=["tasks"])
IdempotencyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Same key and body returns the first answer; another body is 409."),
]
Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX_CHARS)]
TaskType = Annotated[str | None, Field(max_length=TASK_TYPE_MAX_CHARS)]
Tags = Annotated[
    list[str], Field(max_length=TAGS_MAX, description=f"Each tag is 1 to {TAG_MAX_CHARS} characters (422 otherwise).")
]
Reason = Annotated[str | None, Field(max_length=SHORT_TEXT_MAX_CHARS)]


class TaskItem(TaskDraft):
    """A task draft with its limits declared, so the API's document shows them; the service checks them too."""

    title: Title
    instructions: LongText = Field("", validation_alias=AliasChoices("instructions", "description"))
    task_type: TaskType = None
    tags: Tags = Field(default_factory=list)
    lease_seconds: int | None = Field(None, ge=LEASE_MIN_SECONDS, le=LEASE_MAX_SECONDS)
    max_attempts: int | None = Field(None, ge=1, le=ATTEMPTS_MAX)

    def draft(self) -> TaskDraft:
        return TaskDraft.model_validate(self.model_dump(exclude={"idempotency_key"}, exclude_unset=True))


class NewTask(TaskItem):
    idempotency_key: IdempotencyKey = None


class NewTaskBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: list[TaskItem] = Field(min_length=1, max_length=BATCH_MAX_TASKS)
    idempotency_key: IdempotencyKey = None


class TaskChanges(BaseModel):
    """Only the fields sent count as changes. `attempt` is the holder's fencing token for progress updates."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    progress: float | None = Field(None, ge=0, le=PROGRESS_MAX)
    current_action: Reason = None
    title: Title | None = None
    instructions: LongText | None = Field(None, validation_alias=AliasChoices("instructions", "description"))
    priority: str | int | None = None
    tags: Tags | None = None
    task_type: TaskType = None
    attempt: int | None = None


class Fencing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempt: int | None = Field(None, description="The attempt number your claim returned; a stale one is refused.")


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    completed_status: str = Field(
        "SUCCESS",
        validation_alias=AliasChoices("completed_status", "status", "completedStatus"),
        description="SUCCESS or SKIPPED (done), FAILED (failed), CANCELLED (cancelled).",
    )
    result: LongText | None = None
    tokens_in: Tokens = 0
    tokens_out: Tokens = 0
    cost_usd: Cost = 0.0
    model: Model = None
    attempt: int | None = None


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempt: int | None = None
    reason: Reason = None


class Cancellation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cascade: bool = False
    reason: Reason = None


class NewTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    target: str | int | None = Field(
        None,
        validation_alias=AliasChoices("target", "assignee_id", "assignee"),
        description="An agent (name or id), a group, a role (`@engineer`), `all`, or null for nobody.",
    )


class TaskWaitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_ids: list[Annotated[int, Field(ge=1, le=ID_MAX)] | str] = Field(
        min_length=1, max_length=BATCH_MAX_TASKS, description="The tasks to wait for."
    )
    timeout_seconds: float = Field(
        COMPLETION_WAIT_MAX_SECONDS,
        ge=0,
        le=COMPLETION_WAIT_MAX_SECONDS,
        description="The longest to wait, in seconds.",
    )


TaskPage = Annotated[int, Query(ge=1, le=MAX_PAGE)]


# -- creating and reading -----------------------------------------------------------------------------------------


@router.post("/teams/{team_id}/tasks", status_code=201)
async def create_task(
    team_id: PathId, body: NewTask, principal: Caller, hub: CurrentHub, idempotency_key: IdempotencyHeader = None
) -> dict[str, Any]:
    """Create a task: `blocked` while any of `depends_on` is unfinished, else `ready`.

    `description` and `assignee_id` are accepted for `instructions` and `target`.
    """
    key = body.idempotency_key or idempotency_key
    return (await hub.tasks.create_task(principal, body.draft(), team_id, key)).to_json()


@router.post("/teams/{team_id}/tasks/batch", status_code=201)
async def create_tasks_batch(
    team_id: PathId, body: NewTaskBatch, principal: Caller, hub: CurrentHub, idempotency_key: IdempotencyHeader = None
) -> dict[str, Any]:
    """Create up to 1,000 tasks in one transaction; if any is invalid, none is created.

    An item's `depends_on` and `parent_id` name existing tasks by id, or other items of the batch by their `ref`.
    """
    key = body.idempotency_key or idempotency_key
    tasks = await hub.tasks.create_tasks_batch(principal, body.tasks, team_id, key)
    return {"tasks": [t.to_json() for t in tasks]}


@router.get("/teams/{team_id}/tasks", status_code=200)
async def list_tasks(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    request: Request,
    status: str | None = None,
    target: str | None = None,
    holder: str | None = None,
    priority: str | None = None,
    parent_id: QueryId = None,
    task_type: str | None = None,
    tag: str | None = None,
    created_by: str | None = None,
    sprint_id: str | None = None,
    limit: TaskPage = 50,
    cursor: QueryId = None,
    wait_seconds: WaitSeconds = 0,
) -> dict[str, Any]:
    """The team's tasks in creation order, filtered. `status` takes several, comma-separated, and the seeds' names
    (`todo`, `in_progress`, ...). `sprint_id` (12 or sprint-12) keeps one sprint's stories. Pass `next_cursor` back
    as `cursor` for the next page. With `wait_seconds`, an empty page waits for a matching task to appear."""
    sprint = None if sprint_id is None else parse_sprint_id(sprint_id)
    filters = TaskFilters(status, target, holder, priority, parent_id, task_type, tag, created_by, sprint)
    page = await unless_disconnected(
        request.receive, hub.tasks.list_tasks(principal, filters, team_id, limit, cursor, wait_seconds), wait_seconds
    )
    return {"items": [t.to_json() for t in page.items], "next_cursor": page.next_cursor}


@router.post("/tasks/wait", status_code=200)
async def wait_for_task_completion(
    body: TaskWaitRequest, principal: Caller, hub: CurrentHub, request: Request
) -> dict[str, Any]:
    """Wait until every task named is done, failed or cancelled, or `timeout_seconds` pass (at most 3600).

    Answers `{"done", "timed_out", "tasks": [...]}` with each task as it is then.
    """
    waited = await unless_disconnected(
        request.receive,
        hub.tasks.wait_for_task_completion(principal, body.task_ids, body.timeout_seconds),
        body.timeout_seconds,
    )
    return waited.to_json()


@router.get("/tasks/{task_id}", status_code=200)
async def get_task(task_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """One task with the tasks that depend on it and, for a parent, its sub-tasks and their progress."""
    return (await hub.tasks.get_task(principal, task_id)).to_json()


@router.get("/tasks/{task_id}/events", status_code=200)
async def get_task_events(
    task_id: PathId, principal: Caller, hub: CurrentHub, after_id: QueryId = None, limit: int = 500
) -> dict[str, Any]:
    """The task's timeline: every change, who made it and when, oldest first, after event `after_id`."""
    events = await hub.tasks.get_task_events(principal, task_id, after_id or 0, limit)
    return {"events": [e.to_json() for e in events]}


# -- claiming and working -----------------------------------------------------------------------------------------


@router.post("/teams/{team_id}/tasks/claim-next", status_code=200)
async def claim_next(
    team_id: PathId, principal: Caller, hub: CurrentHub, request: Request, wait_seconds: WaitSeconds = 0
) -> dict[str, Any]:
    """Claim the highest-priority, oldest ready task aimed at you, your groups, your role, everyone or nobody.

    Answers `{"task": null}` when there is none (with `wait_seconds`, when none arrived in that time). A client
    that hangs up while waiting is given nothing: the wait ends then.
    """
    task = await unless_disconnected(
        request.receive, hub.claims.claim_next(principal, team_id, wait_seconds), wait_seconds
    )
    return {"task": task.to_json() if task is not None else None}


@router.post("/tasks/{task_id}/claim", status_code=200)
async def claim_task(task_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Claim a ready task. Exactly one of many claimers wins; the others get 409 naming the holder."""
    return (await hub.claims.claim_task(principal, task_id)).to_json()


@router.post("/tasks/{task_id}/heartbeat", status_code=200)
async def heartbeat(task_id: PathId, principal: Caller, hub: CurrentHub, body: Fencing | None = None) -> dict[str, Any]:
    """Renew your lease on a task you hold. The body is optional."""
    attempt = body.attempt if body is not None else None
    return (await hub.claims.heartbeat(principal, task_id, attempt)).to_json()


@router.patch("/tasks/{task_id}", status_code=200)
async def update_task(task_id: PathId, body: TaskChanges, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Report progress and current action (the holder; renews the lease), or edit title, instructions, priority,
    tags and task type (the creator, a manager or an admin)."""
    changes = body.model_dump(exclude_unset=True, exclude={"attempt"})
    return (await hub.tasks.update_task(principal, task_id, changes, body.attempt)).to_json()


@router.post("/tasks/{task_id}/complete", status_code=200)
async def complete_task(
    task_id: PathId, principal: Caller, hub: CurrentHub, body: Completion | None = None
) -> dict[str, Any]:
    """Finish a task you hold (or, as a manager or admin, any open task) with its result and usage."""
    done = body or Completion.model_validate({})
    usage = Usage(done.tokens_in, done.tokens_out, done.cost_usd, done.model)
    task = await hub.claims.complete_task(principal, task_id, done.completed_status, done.result, usage, done.attempt)
    return task.to_json()


@router.post("/tasks/{task_id}/unclaim", status_code=200)
async def unclaim_task(
    task_id: PathId, principal: Caller, hub: CurrentHub, body: Release | None = None
) -> dict[str, Any]:
    """Give back a task you hold: it is `ready` again for anyone it is aimed at."""
    release = body or Release()
    return (await hub.claims.unclaim_task(principal, task_id, release.attempt, release.reason)).to_json()


# -- steering -----------------------------------------------------------------------------------------------------


@router.post("/tasks/{task_id}/cancel", status_code=200)
async def cancel_task(
    task_id: PathId, principal: Caller, hub: CurrentHub, body: Cancellation | None = None
) -> dict[str, Any]:
    """Cancel an open task; with `cascade`, every open task that depends on it too. Answers what was cancelled."""
    cancel = body or Cancellation()
    cancelled = await hub.tasks.cancel_task(principal, task_id, cancel.cascade, cancel.reason)
    return {"cancelled": [t.to_json() for t in cancelled]}


@router.post("/tasks/{task_id}/retry", status_code=200)
async def retry_task(task_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Give a failed or cancelled task another round: `ready` again (or `blocked` on unfinished dependencies)."""
    return (await hub.tasks.retry_task(principal, task_id)).to_json()


@router.post("/tasks/{task_id}/reassign", status_code=200)
async def reassign_task(task_id: PathId, body: NewTarget, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Aim an open task elsewhere (the creator, a manager or an admin); a current claim is released."""
    return (await hub.tasks.reassign_task(principal, task_id, body.target)).to_json()
