"""MCP tools that create, read and steer tasks. Claiming and finishing them is in `mcp_claims.py`."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field, ValidationError, WithJsonSchema

from switchboard.api.mcp import (
    DESTRUCTIVE,
    IDEMPOTENT_WRITE,
    READ_ONLY,
    WRITE,
    TeamId,
    answer,
    answer_waiting,
    principal_of,
    snake_case,
)
from switchboard.errors import InvalidInput
from switchboard.hub import Hub
from switchboard.limits import BATCH_MAX_TASKS
from switchboard.sprints.models import parse_sprint_id
from switchboard.tasks.models import TaskDraft
from switchboard.tasks.service import TaskFilters

TaskId = Annotated[int, Field(description='The task\'s id, a number (a numeric string such as "42" works too).')]
Title = Annotated[str, Field(description="A short, specific summary of the work (at most 500 characters).")]
Instructions = Annotated[
    str | None,
    Field(description="What to do, in full: context, acceptance criteria, where to look (at most 64 KiB)."),
]
Description = Annotated[str | None, Field(description="Another name for `instructions`.")]
PriorityName = Annotated[
    str | int | None,
    Field(description="low, normal (or medium), high or critical (or 0-3). Higher priority is claimed first."),
]
TargetName = Annotated[
    str | int | None,
    Field(
        description=(
            "Who may claim it: an agent's name or id (`builder`, `7`), a group (`builders`), a role (`@engineer`), "
            "or `all`. Leave it out to let any agent of the team claim it. Unknown names are refused."
        )
    ),
]
AssigneeId = Annotated[str | int | None, Field(description="Another name for `target`: the agent's id or name.")]
DependsOn = Annotated[
    list[int | str] | None,
    Field(description="Ids of tasks of your team that must be done first; the task stays `blocked` until they are."),
]
Tags = Annotated[list[str] | None, Field(description="Free-form labels, for filtering with get_tasks(tag=...).")]
WaitSeconds = Annotated[
    float,
    Field(
        description=(
            "How long to wait, in seconds (0 to 300, default 0), when there is nothing yet: the call returns the "
            "moment something arrives, or empty when the time is up. Use it instead of calling again in a loop."
        )
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Field(
        description=(
            "Any string unique to this request. Repeating the call with the same key and arguments returns the "
            "first result instead of creating duplicates; the same key with other arguments is a conflict error."
        )
    ),
]


def _batch_item_schema() -> dict[str, Any]:
    schema = TaskDraft.model_json_schema()
    # Items may also use the other names (`description`, `assignee_id`), which the schema does not list.
    schema.pop("additionalProperties", None)
    schema.pop("title", None)
    schema["description"] = (
        "One task, with the fields of create_task; `description` and `assignee_id` are accepted as other names "
        "for `instructions` and `target`."
    )
    return schema


BatchItems = Annotated[
    list[dict[str, Any]],
    WithJsonSchema(
        {
            "type": "array",
            "minItems": 1,
            "maxItems": BATCH_MAX_TASKS,
            "items": _batch_item_schema(),
            "description": (
                "The tasks, each with the fields of create_task. Give an item a `ref` (a name such as `schema`) "
                "and other items can list that ref in `depends_on` or use it as `parent_id`."
            ),
        }
    ),
]


def parse_draft(fields: dict[str, Any], item: int | None = None) -> TaskDraft:
    """A task draft from tool arguments, with camelCase names and Entourage's aliases accepted."""
    data = {snake_case(k): v for k, v in fields.items() if v is not None}
    try:
        return TaskDraft.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        where = "" if item is None else f"item {item}: "
        first = problems[0]
        raise InvalidInput(f"{where}{first['field']}: {first['message']}", item=item, errors=problems) from None


def register_task_tools(server: MCPServer, hub: Hub) -> None:
    _register_creation(server, hub)
    _register_reading(server, hub)
    _register_steering(server, hub)


def _register_creation(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Create a task",
        annotations=WRITE,
        description=(
            "Create one unit of work for your team and return it. Use this to hand work to another agent: aim it "
            "with `target` (an agent, group, @role or `all`), say what to do in `instructions`, and list "
            "`depends_on` when it must wait for other tasks. The task comes back with its `id` and `status`: "
            "`ready` (claimable now) or `blocked` (waiting for dependencies; it becomes ready by itself when they "
            "are done). Errors: an unknown target or dependency, a dependency of another team, or a title over "
            "500 characters is refused and nothing is created. For several related tasks use create_tasks_batch."
        ),
    )
    async def create_task(
        title: Title,
        ctx: Context,
        instructions: Instructions = None,
        description: Description = None,
        priority: PriorityName = None,
        target: TargetName = None,
        assignee_id: AssigneeId = None,
        task_type: Annotated[str | None, Field(description="A kind such as feature, bug or chore.")] = None,
        depends_on: DependsOn = None,
        parent_id: Annotated[int | None, Field(description="The feature task this is a sub-task of.")] = None,
        tags: Tags = None,
        lease_seconds: Annotated[
            int | None, Field(description="How long a claim lasts without a heartbeat (default: the team's).")
        ] = None,
        max_attempts: Annotated[
            int | None, Field(description="Lost leases after which the task fails (default: the team's).")
        ] = None,
        idempotency_key: IdempotencyKey = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            draft = parse_draft(
                {
                    "title": title,
                    "instructions": instructions,
                    "description": description,
                    "priority": priority,
                    "target": target,
                    "assignee_id": assignee_id,
                    "task_type": task_type,
                    "depends_on": depends_on,
                    "parent_id": parent_id,
                    "tags": tags,
                    "lease_seconds": lease_seconds,
                    "max_attempts": max_attempts,
                }
            )
            task = await hub.tasks.create_task(principal_of(ctx), draft, team_id, idempotency_key)
            return task.to_json()

        return await answer(run())

    @server.tool(
        title="Create several tasks at once",
        annotations=WRITE,
        description=(
            "Create up to 1,000 tasks in one all-or-nothing step: if any item is invalid (unknown target or "
            "dependency, a dependency cycle, a title too long), none is created and the error names the item. "
            "Use it to break a feature into sub-tasks with their order: give items a `ref` and list refs (or ids "
            'of existing tasks) in `depends_on`; a `parent_id` may also be a ref. Returns {"tasks": [...]} in '
            "the order given, each with its new `id` and `status` (`ready` or `blocked`)."
        ),
    )
    async def create_tasks_batch(
        tasks: BatchItems,
        ctx: Context,
        idempotency_key: IdempotencyKey = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            drafts = [parse_draft(item, index) for index, item in enumerate(tasks)]
            created = await hub.tasks.create_tasks_batch(principal_of(ctx), drafts, team_id, idempotency_key)
            return {"tasks": [t.to_json() for t in created]}

        return await answer(run())


def _register_reading(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="List tasks",
        annotations=READ_ONLY,
        description=(
            "List your team's tasks, oldest first, filtered by any of: `status` (blocked, ready, claimed, "
            "in_review, done, failed, cancelled; also `created`/`todo` = not yet claimed, `active`/`in_progress` "
            "= claimed, `open`, `terminal`; several comma-separated), `target` (tasks aimed at that agent, group, "
            "@role or `all`), `holder` (who has claimed them), `priority`, `parent_id`, `task_type`, `tag`, "
            "`sprint_id` (a sprint's stories). "
            'Use get_tasks(target="<your name>", status="created") to see work waiting for you; to take the best '
            'one, claim_next is quicker. Returns {"items": [...], "next_cursor": n}; when next_cursor is not null, '
            "pass it as `cursor` for the next page. With `wait_seconds`, an empty answer waits for a matching task "
            "to appear."
        ),
    )
    async def get_tasks(
        ctx: Context,
        status: Annotated[str | list[str] | None, Field(description="A status, a seed name, or several.")] = None,
        target: Annotated[str | None, Field(description="An agent, group, @role or `all`.")] = None,
        holder: Annotated[str | None, Field(description="The name or id of the agent holding the task.")] = None,
        priority: PriorityName = None,
        parent_id: Annotated[int | None, Field(description="Only sub-tasks of this task.")] = None,
        task_type: Annotated[str | None, Field(description="Only tasks of this kind.")] = None,
        tag: Annotated[str | None, Field(description="Only tasks carrying this tag.")] = None,
        created_by: Annotated[str | None, Field(description="Only tasks this agent created.")] = None,
        sprint_id: Annotated[
            int | str | None, Field(description='Only the stories of this sprint (12, "12" or "sprint-12").')
        ] = None,
        limit: Annotated[int, Field(description="Page size, 1 to 500.")] = 50,
        cursor: Annotated[int | None, Field(description="The `next_cursor` of the previous page.")] = None,
        team_id: TeamId = None,
        wait_seconds: WaitSeconds = 0,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            wanted = None if priority is None else str(priority)
            sprint = None if sprint_id is None else parse_sprint_id(sprint_id)
            filters = TaskFilters(status, target, holder, wanted, parent_id, task_type, tag, created_by, sprint)
            page = await hub.tasks.list_tasks(principal_of(ctx), filters, team_id, limit, cursor, wait_seconds)
            return {"items": [t.to_json() for t in page.items], "next_cursor": page.next_cursor}

        return await answer_waiting(ctx, run(), wait_seconds)

    @server.tool(
        title="Read a task",
        annotations=READ_ONLY,
        description=(
            "Read one task in full: instructions, status, holder and lease, attempt, progress, result, usage, "
            "`depends_on` and `dependents` (tasks waiting for it), and for a parent its `subtasks` with "
            "`subtask_progress`. A `blocked_reason` says what a blocked task waits for. A task of another team "
            "is reported as not found."
        ),
    )
    async def get_task(task_id: TaskId, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.tasks.get_task(principal_of(ctx), task_id)).to_json()

        return await answer(run())

    @server.tool(
        title="Read a task's history",
        annotations=READ_ONLY,
        description=(
            "The timeline of one task: every change (created, claimed, updated, unblocked, lease_expired, "
            "completed, cancelled, retried, reassigned, ...) with who did it, when, and what changed. Use it to "
            'understand how a task got where it is. Returns {"events": [...]} oldest first; pass the last '
            "event's `id` as `after_id` to read only newer ones."
        ),
    )
    async def get_task_events(
        task_id: TaskId,
        ctx: Context,
        after_id: Annotated[int, Field(description="Only events after this event id.")] = 0,
        limit: Annotated[int, Field(description="At most this many events, up to 1000.")] = 500,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            events = await hub.tasks.get_task_events(principal_of(ctx), task_id, after_id, limit)
            return {"events": [e.to_json() for e in events]}

        return await answer(run())

    @server.tool(
        title="Wait for tasks to finish",
        annotations=READ_ONLY,
        description=(
            "Block until every task you name is finished (done, failed or cancelled), or until `timeout_seconds` "
            "pass, then return each task as it is. Use it as a manager after handing out sub-tasks, instead of "
            "polling get_task: it returns within milliseconds of the last one finishing. Returns "
            '{"done": true|false, "timed_out": true|false, "tasks": [{id, status, completed_status, result, '
            "holder, ...}]}; on a timeout `done` is false and `tasks` shows where each stands, so you can decide "
            "what to do (wait again, reassign, cancel). A failed task counts as finished: check each `status`. "
            "Errors: not found for an unknown id or another team's task (nothing is waited for)."
        ),
    )
    async def wait_for_task_completion(
        task_ids: Annotated[
            list[int | str], Field(description="Ids of the tasks to wait for (1 to 1000).", min_length=1)
        ],
        ctx: Context,
        timeout_seconds: Annotated[
            float, Field(description="The longest to wait, in seconds, 0 to 3600 (default 3600).")
        ] = 3600,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.tasks.wait_for_task_completion(principal_of(ctx), task_ids, timeout_seconds)).to_json()

        return await answer_waiting(ctx, run(), timeout_seconds)


def _register_steering(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Update a task",
        annotations=IDEMPOTENT_WRITE,
        description=(
            "Change a task and return it. The agent holding it reports `progress` (0-100) and `current_action`, "
            "which also renews its lease. The task's creator or a manager may edit `title`, `instructions`, "
            "`priority`, `tags` and `task_type`. Give only what changes. Errors: progress from an agent that does "
            "not hold the task (or whose lease expired) is a conflict; editing someone else's task is forbidden; "
            "finished tasks no longer change."
        ),
    )
    async def update_task(
        task_id: TaskId,
        ctx: Context,
        progress: Annotated[int | None, Field(description="Percent done, 0 to 100.")] = None,
        current_action: Annotated[str | None, Field(description="What you are doing right now.")] = None,
        title: Annotated[str | None, Field(description="A new title.")] = None,
        instructions: Instructions = None,
        description: Description = None,
        priority: PriorityName = None,
        tags: Tags = None,
        task_type: Annotated[str | None, Field(description="A new kind.")] = None,
        attempt: Annotated[
            int | None, Field(description="Your claim's `attempt`; if the task was re-claimed since, you are refused.")
        ] = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            given = {
                "progress": progress,
                "current_action": current_action,
                "title": title,
                "instructions": instructions if instructions is not None else description,
                "priority": priority,
                "tags": tags,
                "task_type": task_type,
            }
            changes = {k: v for k, v in given.items() if v is not None}
            return (await hub.tasks.update_task(principal_of(ctx), task_id, changes, attempt)).to_json()

        return await answer(run())

    @server.tool(
        title="Cancel a task",
        annotations=DESTRUCTIVE,
        description=(
            "Cancel an open task so nobody works on it; its holder's claim ends. Tasks that depend on it stay "
            "`blocked` with the reason shown, unless `cascade` is true, which cancels every open task that depends "
            'on it too. Only the task\'s creator or a manager may cancel. Returns {"cancelled": [...]}, the tasks '
            "now cancelled. A finished task cannot be cancelled (conflict); retry_task brings a cancelled one back."
        ),
    )
    async def cancel_task(
        task_id: TaskId,
        ctx: Context,
        cascade: Annotated[bool, Field(description="Also cancel every open task that depends on this one.")] = False,
        reason: Annotated[str | None, Field(description="Why, for the task's history.")] = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            cancelled = await hub.tasks.cancel_task(principal_of(ctx), task_id, cascade, reason)
            return {"cancelled": [t.to_json() for t in cancelled]}

        return await answer(run())

    @server.tool(
        title="Retry a failed or cancelled task",
        annotations=WRITE,
        description=(
            "Give a failed or cancelled task another round: it returns to `ready` (or `blocked` if its own "
            "dependencies are unfinished) with its lost-lease count reset, and tasks waiting on it can proceed "
            "once it is done. The task's creator, its last holder or a manager may retry. Returns the task. "
            "Retrying a task that is not failed or cancelled is a conflict."
        ),
    )
    async def retry_task(task_id: TaskId, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.tasks.retry_task(principal_of(ctx), task_id)).to_json()

        return await answer(run())

    @server.tool(
        title="Reassign a task",
        annotations=IDEMPOTENT_WRITE,
        description=(
            "Aim an open task at someone else: an agent, group, @role or `all`; leave `target` out to let anyone "
            "claim it. If it is claimed, the claim is released and the task is `ready` for the new target. Only "
            "the task's creator or a manager may reassign. Returns the task. An unknown target is refused."
        ),
    )
    async def reassign_task(
        task_id: TaskId, ctx: Context, target: TargetName = None, assignee_id: AssigneeId = None
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            new = target if target is not None else assignee_id
            return (await hub.tasks.reassign_task(principal_of(ctx), task_id, new)).to_json()

        return await answer(run())
