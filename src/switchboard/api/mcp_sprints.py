"""MCP tools for sprints: stories in waves, each story a task claimed and completed like one."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field, WithJsonSchema

from switchboard.api.mcp import DESTRUCTIVE, READ_ONLY, WRITE, TeamId, answer, principal_of
from switchboard.hub import Hub
from switchboard.sprints.models import StoryDraft
from switchboard.sprints.service import SPRINT_MAX_STORIES
from switchboard.sprints.stories import STORY_STATUSES

SprintId = Annotated[
    int | str,
    Field(description='The sprint: its number (12), as a string ("12"), or its key ("sprint-12").'),
]
StoryId = Annotated[str | int, Field(description="The story's id as given when it was created, e.g. `story-1`.")]


def _story_schema() -> dict[str, Any]:
    schema = StoryDraft.model_json_schema()
    # camelCase names and the other names (`depends_on`, `description`) are accepted too.
    schema.pop("additionalProperties", None)
    schema.pop("title", None)
    schema["required"] = ["title"]
    schema["description"] = (
        "One story: `id` (yours to choose, letters, digits, '.', '_', '-'; default story-<position>), `title`, "
        "`wave` (1, 2, ...; default 1), `dependencies` (ids of stories of the same or an earlier wave), and "
        "optionally `target` (agent, group, @role or all), `instructions` and `priority`."
    )
    return schema


StoryItems = Annotated[
    list[dict[str, Any]],
    WithJsonSchema(
        {
            "type": "array",
            "minItems": 1,
            "maxItems": SPRINT_MAX_STORIES,
            "items": _story_schema(),
            "description": "The stories, in the order to show them.",
        }
    ),
]
StoryItem = Annotated[dict[str, Any], WithJsonSchema(_story_schema())]


def register_sprints_tools(server: MCPServer, hub: Hub) -> None:
    _register_planning(server, hub)
    _register_working(server, hub)


def _register_planning(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Create a sprint",
        annotations=WRITE,
        description=(
            "Plan a feature as a sprint of stories in waves, for several agents to work on in parallel. Every "
            "story becomes a task of your team (claimed, heartbeated and completed like any task). Waves are "
            "enforced: a story of wave 2 cannot be claimed until every story of wave 1 is done or skipped, and a "
            "story also waits for the stories it lists in `dependencies` (same or earlier wave). Returns the sprint "
            "as get_sprint shows it: its `id` and `key` (sprint-<id>, use either later) and its waves of stories "
            "with their task ids and statuses (`ready` or `blocked`). Errors: duplicate story ids, a dependency on "
            "an unknown story or a later wave, a cycle, or an unknown target refuse the whole sprint; nothing is "
            "created."
        ),
    )
    async def create_sprint(
        project_name: Annotated[str, Field(description="What the sprint delivers, e.g. `Add user management`.")],
        stories: StoryItems,
        ctx: Context,
        branch: Annotated[str | None, Field(description="The git branch the work lands on.")] = None,
        description: Annotated[str | None, Field(description="Anything more about the sprint.")] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            drafts = [StoryDraft.parse(story, index) for index, story in enumerate(stories)]
            sprint = await hub.sprints.create_sprint(
                principal_of(ctx), project_name, branch, drafts, description, team_id
            )
            return sprint.to_json()

        return await answer(run())

    @server.tool(
        title="Add a story to a sprint",
        annotations=WRITE,
        description=(
            "Add one story to an active sprint, with the fields of a create_sprint story. Stories of later waves "
            "now wait for it too (ready ones become blocked again). Returns the new story with its task id. "
            "Refused (conflict) when the sprint is completed, or when a later wave has already started (one of "
            "its stories is claimed or finished): add the story to that wave or a later one instead. Only the "
            "sprint's creator, a manager or an admin may add stories."
        ),
    )
    async def add_story_to_sprint(sprint_id: SprintId, story: StoryItem, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            added = await hub.sprints.add_story_to_sprint(principal_of(ctx), sprint_id, StoryDraft.parse(story))
            return added.to_json()

        return await answer(run())

    @server.tool(
        title="Complete a sprint",
        annotations=DESTRUCTIVE,
        description=(
            "Close a sprint once its stories are finished. While any story is still open the call is refused "
            "(conflict) and the error lists the open stories in `details.open_stories`; with `force` true those "
            "stories' tasks are cancelled (their holders lose their claims) and the sprint is completed anyway. "
            "Returns the completed sprint. Only the sprint's creator, a manager or an admin may complete it; "
            "completing it twice is a conflict."
        ),
    )
    async def complete_sprint(
        sprint_id: SprintId,
        ctx: Context,
        force: Annotated[bool, Field(description="Cancel the open stories and complete the sprint anyway.")] = False,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.sprints.complete_sprint(principal_of(ctx), sprint_id, force)).to_json()

        return await answer(run())


def _register_working(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Read a sprint",
        annotations=READ_ONLY,
        description=(
            "Read a sprint and where it stands: `counts` of stories by status, `total`, `done` (skipped ones "
            "included), `percent_done`, `current_wave` (the lowest wave with open stories), and `waves`, each "
            "with its `status` (done, open = claimable now, locked = waiting for an earlier wave) and its stories: "
            "story id, task id, title, status, holder, progress, current action, dependencies, and a "
            "`blocked_reason` saying what a blocked story waits for. Use it to track a sprint or to find a story "
            "to take; the story's `task_id` works with claim_task, heartbeat and complete_task."
        ),
    )
    async def get_sprint(sprint_id: SprintId, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.sprints.get_sprint(principal_of(ctx), sprint_id)).to_json()

        return await answer(run())

    @server.tool(
        title="List sprints",
        annotations=READ_ONLY,
        description=(
            "List your team's sprints, newest first, each with its counts, `percent_done` and `current_wave` "
            '(no stories: get_sprint has them). Filter with `status` active or completed. Returns {"sprints": [...]}.'
        ),
    )
    async def list_sprints(
        ctx: Context,
        status: Annotated[str | None, Field(description="active or completed; leave out for both.")] = None,
        limit: Annotated[int, Field(description="At most this many, 1 to 500.")] = 100,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            sprints = await hub.sprints.list_sprints(principal_of(ctx), status, team_id, limit)
            return {"sprints": [s.to_json() for s in sprints]}

        return await answer(run())

    @server.tool(
        title="Update a sprint story",
        annotations=WRITE,
        description=(
            "Report on a story you work on, by its sprint and story id. `status`: `active` (or in_progress, "
            "claimed) claims the story's task for you if you do not hold it yet; `done` (completed, success), "
            "`skipped` and `failed` complete it (you must hold it; a manager may finish any); `cancelled` cancels "
            "it (its creator or a manager); `todo` (ready, created) gives it back. `progress` (0-100) and "
            "`current_action` are recorded and shown in get_sprint; giving them renews your lease. Returns the "
            "story. Errors: a story of a wave that has not opened yet is blocked (conflict, saying what it waits "
            "for); another agent's story is a conflict naming its holder; an unknown sprint or story is not found."
        ),
    )
    async def update_sprint_story(
        sprint_id: SprintId,
        story_id: StoryId,
        ctx: Context,
        status: Annotated[str | None, Field(description=f"One of: {', '.join(STORY_STATUSES)}.")] = None,
        progress: Annotated[float | None, Field(description="Percent done, 0 to 100.")] = None,
        current_action: Annotated[str | None, Field(description="What you are doing right now.")] = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            story = await hub.sprints.update_sprint_story(
                principal_of(ctx), sprint_id, str(story_id), status, progress, current_action
            )
            return story.to_json()

        return await answer(run())
