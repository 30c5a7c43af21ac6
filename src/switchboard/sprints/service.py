"""Creating sprints, enforcing their waves, and reporting their progress.

Every story is a task. A story's task depends on every story task of the earlier waves and on the stories it names,
so the tasks' one dependency rule keeps a wave locked until the waves before it are done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Conflict, Forbidden, InvalidInput
from switchboard.limits import check_bytes, check_chars
from switchboard.sprints import records
from switchboard.sprints.models import (
    Progress,
    Sprint,
    SprintStatus,
    SprintSummary,
    Story,
    StoryDraft,
    parse_sprint_id,
    sprint_key,
)
from switchboard.sprints.stories import StoryUpdates
from switchboard.sprints.waves import PlannedStory, plan_stories, prerequisites, waiting_reason
from switchboard.storage import Database
from switchboard.tasks import records as task_records
from switchboard.tasks.claims import ClaimService
from switchboard.tasks.models import TERMINAL, TaskDraft, TaskStatus
from switchboard.tasks.service import TaskService
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService

SP = records.SP
T = records.T
SPRINT_MAX_STORIES = 500
NAME_MAX_CHARS = 200  # the columns' width
LIST_MAX = 500


class SprintService:
    def __init__(
        self, db: Database, clock: Clock, teams: TeamService, tasks: TaskService, claims: ClaimService
    ) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
        self.tasks = tasks
        self.claims = claims
        self.updates = StoryUpdates(tasks, claims)

    # -- creating -----------------------------------------------------------------------------------------------

    async def create_sprint(
        self,
        principal: Principal,
        project_name: str,
        branch: str | None,
        stories: Sequence[StoryDraft],
        description: str | None = None,
        team_id: int | None = None,
    ) -> Sprint:
        """Create a sprint and one task per story, in one transaction: if anything is invalid, nothing is made."""
        _check_texts(project_name, branch, description)
        if not stories:
            raise InvalidInput("a sprint needs at least one story", field="stories")
        if len(stories) > SPRINT_MAX_STORIES:
            raise InvalidInput(
                f"a sprint holds at most {SPRINT_MAX_STORIES} stories; got {len(stories)}", limit=SPRINT_MAX_STORIES
            )
        planned = plan_stories(stories)
        team = await self.teams.default_team(principal, team_id)
        now = self.clock()
        async with self.db.write() as conn:
            name = project_name.strip()
            sprint_id = await records.insert_sprint(conn, team.id, name, branch, description, principal.actor, now)
            waves = {p.story_id: p.wave for p in planned}
            drafts = [_task_draft(p, [_ref(d) for d in prerequisites(p.wave, p.dependencies, waves)]) for p in planned]
            task_ids = await self.tasks.insert_tasks(conn, principal, team, drafts)
            await records.insert_stories(conn, sprint_id, planned, task_ids)
            await self._explain_waits(conn, sprint_id, now)
            data = {
                "sprint_id": sprint_id,
                "key": sprint_key(sprint_id),
                "project_name": name,
                "branch": branch,
                "stories": len(planned),
                "waves": sorted(set(waves.values())),
            }
            await task_records.append_events(conn, team.id, principal.actor, now, [(None, "sprint_created", data)])
            return await records.load_sprint(conn, sprint_id)

    async def add_story_to_sprint(self, principal: Principal, sprint_id: int | str, draft: StoryDraft) -> Story:
        """Add a story; stories of later waves that have not started wait for it too.

        Refused when a later wave has started (a story there is claimed or finished): it cannot get a new
        earlier story.
        """
        number = parse_sprint_id(sprint_id)
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, number, principal, self.db.lock_rows)
            _ensure_steward(principal, row, "add stories to this sprint")
            if row.status != SprintStatus.ACTIVE.value:
                raise Conflict(f"{sprint_key(number)} is completed; it takes no new stories", sprint_id=number)
            sprint = await records.load_sprint(conn, number)
            waves = {story.story_id: story.wave for story in sprint.stories}
            position = max((story.position for story in sprint.stories), default=0) + 1
            [planned] = plan_stories([draft], waves, position)
            later = [story for story in sprint.stories if story.wave > planned.wave]
            await self._refuse_started(conn, sprint, planned, later)
            tasks_of = {story.story_id: story.task.id for story in sprint.stories}
            depends_on: list[int | str] = [
                tasks_of[d] for d in prerequisites(planned.wave, planned.dependencies, waves)
            ]
            team = await self.teams.get_team(principal, row.team_id, conn)
            [task_id] = await self.tasks.insert_tasks(conn, principal, team, [_task_draft(planned, depends_on)])
            await records.insert_stories(conn, number, [planned], [task_id])
            reason = f"waiting for {planned.story_id} (added to wave {planned.wave} of {sprint_key(number)})"
            blocked_again = await task_records.add_dependency(
                conn, [story.task.id for story in later], task_id, reason, now
            )
            await self._explain_waits(conn, number, now, only=[task_id])
            data = {"sprint_id": number, "story_id": planned.story_id, "wave": planned.wave, "blocked": blocked_again}
            events: list[tuple[int | None, str, dict[str, Any]]] = [(task_id, "story_added", data)]
            events.extend((i, "blocked", {"by": task_id, "reason": reason}) for i in blocked_again)
            await task_records.append_events(conn, row.team_id, principal.actor, now, events)
            return await records.require_story(conn, number, planned.story_id)

    async def _refuse_started(
        self, conn: AsyncConnection, sprint: Sprint, planned: PlannedStory, later: Sequence[Story]
    ) -> None:
        # Every story task is locked, not only the later ones: no later story is claimed, and no earlier one
        # completes (unblocking the later ones without seeing the new dependency), until this transaction ends.
        locked = await records.lock_story_tasks(conn, sprint.id, self.db.lock_rows)
        statuses = {r.id: r.status for r in locked}
        unstarted = (TaskStatus.READY.value, TaskStatus.BLOCKED.value)
        started = [
            f"{story.story_id} ({statuses[story.task.id]})"
            for story in later
            if statuses[story.task.id] not in unstarted
        ]
        if started:
            raise Conflict(
                f"cannot add a wave-{planned.wave} story to {sprint.key}: a later wave has started "
                f"({', '.join(started[:5])}), and a started wave cannot get a new earlier story",
                started=started,
            )

    async def _explain_waits(
        self, conn: AsyncConnection, sprint_id: int, now: Any, only: Sequence[int] | None = None
    ) -> None:
        """Blocked story tasks say which stories they wait for, by the ids the caller chose."""
        sprint = await records.load_sprint(conn, sprint_id)
        done = {story.story_id for story in sprint.stories if story.task.status == TaskStatus.DONE}
        updates = []
        for story in sprint.stories:
            task = story.task
            if only is not None and task.id not in only:
                continue
            if task.status != TaskStatus.BLOCKED or not (task.blocked_reason or "").startswith("waiting"):
                continue
            earlier = [o.story_id for o in sprint.stories if o.wave < story.wave and o.story_id not in done]
            same = [d for d in story.dependencies if d not in done and d not in earlier]
            reason = waiting_reason(sprint.key, story.wave, earlier, same)
            if reason is not None:
                updates.append({"task": task.id, "reason": reason})
        if updates:
            await conn.execute(
                T.update().where(T.c.id == sa.bindparam("task")).values(blocked_reason=sa.bindparam("reason")), updates
            )

    # -- reading ------------------------------------------------------------------------------------------------

    async def get_sprint(self, principal: Principal, sprint_id: int | str) -> Sprint:
        number = parse_sprint_id(sprint_id)
        async with self.db.read() as conn:
            await records.load_visible_row(conn, number, principal)
            return await records.load_sprint(conn, number)

    async def get_story(self, principal: Principal, sprint_id: int | str, story_id: str) -> Story:
        number = parse_sprint_id(sprint_id)
        async with self.db.read() as conn:
            await records.load_visible_row(conn, number, principal)
            return await records.require_story(conn, number, story_id)

    async def list_sprints(
        self, principal: Principal, status: str | None = None, team_id: int | None = None, limit: int = 100
    ) -> list[SprintSummary]:
        """The team's sprints, newest first, each with its counts and percent done."""
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"limit must be from 1 to {LIST_MAX}", limit=limit)
        team = await self.teams.default_team(principal, team_id)
        query = sa.select(SP).where(SP.c.team_id == team.id).order_by(SP.c.id.desc()).limit(limit)
        if status is not None and status.strip():
            wanted = status.strip().lower()
            if wanted not in SprintStatus.__members__.values():
                raise InvalidInput(f"unknown sprint status {status!r}; use active or completed", status=status)
            query = query.where(SP.c.status == wanted)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
            progress = await records.progress_of(conn, [r.id for r in rows])
        return [records.summary_from_row(r, progress.get(r.id, Progress.of([]))) for r in rows]

    # -- working on stories -------------------------------------------------------------------------------------

    async def update_sprint_story(
        self,
        principal: Principal,
        sprint_id: int | str,
        story_id: str,
        status: str | None = None,
        progress: float | None = None,
        current_action: str | None = None,
    ) -> Story:
        """Move a story through the task rules: `active` claims it for you, `done`/`skipped`/`failed` complete it,
        `cancelled` cancels it, `todo` gives it back; `progress` and `current_action` are recorded (as its holder)."""
        story = await self.get_story(principal, sprint_id, story_id)
        await self.updates.apply(principal, story, status, progress, current_action)
        return await self.get_story(principal, story.sprint_id, story.story_id)

    # -- finishing ----------------------------------------------------------------------------------------------

    async def complete_sprint(self, principal: Principal, sprint_id: int | str, force: bool = False) -> Sprint:
        """Close a sprint whose stories are all finished; with `force`, its open stories are cancelled first."""
        number = parse_sprint_id(sprint_id)
        now = self.clock()
        async with self.db.write() as conn:
            row = await records.load_visible_row(conn, number, principal, self.db.lock_rows)
            _ensure_steward(principal, row, "complete this sprint")
            if row.status != SprintStatus.ACTIVE.value:
                raise Conflict(f"{sprint_key(number)} is already completed", sprint_id=number)
            stories = await records.lock_story_tasks(conn, number, self.db.lock_rows)
            still_open = [r for r in stories if TaskStatus(r.status) not in TERMINAL]
            if still_open and not force:
                names = [f"{r.story_id} ({r.status})" for r in still_open]
                raise Conflict(
                    f"{sprint_key(number)} has {len(still_open)} open stories: {', '.join(names[:10])}"
                    f"{' and more' if len(names) > 10 else ''}; finish them, or complete it with force to cancel them",
                    open_stories=[r.story_id for r in still_open],
                )
            events = await self._cancel_open(conn, number, [r.id for r in still_open], now)
            await conn.execute(
                SP.update().where(SP.c.id == number).values(status=SprintStatus.COMPLETED.value, completed_at=now)
            )
            data = {"sprint_id": number, "forced": bool(still_open), "cancelled": [r.story_id for r in still_open]}
            events.append((None, "sprint_completed", data))
            await task_records.append_events(conn, row.team_id, principal.actor, now, events)
            return await records.load_sprint(conn, number)

    async def _cancel_open(
        self, conn: AsyncConnection, sprint_id: int, task_ids: list[int], now: Any
    ) -> list[tuple[int | None, str, dict[str, Any]]]:
        if not task_ids:
            return []
        await task_records.mark_cancelled(conn, task_ids, now)
        reason = f"{sprint_key(sprint_id)} was completed with force"
        for task_id in task_ids:
            await task_records.explain_blocked_dependents(conn, task_id, f"dependency #{task_id} was cancelled", now)
        return [(task_id, "cancelled", {"reason": reason, "cascade_from": None}) for task_id in task_ids]


def _ref(story_id: str) -> str:
    # A batch ref that can never be read as a task id, whatever the story id is.
    return f"story:{story_id}"


def _task_draft(story: PlannedStory, depends_on: Sequence[int | str]) -> TaskDraft:
    draft = story.draft
    return TaskDraft.model_validate(
        {
            "title": draft.title,
            "instructions": draft.instructions,
            "priority": draft.priority,
            "target": draft.target,
            "depends_on": depends_on,
            "ref": _ref(story.story_id),
        }
    )


def _check_texts(project_name: str, branch: str | None, description: str | None) -> None:
    if not isinstance(project_name, str) or not project_name.strip():
        raise InvalidInput("project_name is required", field="project_name")
    check_chars("project_name", project_name.strip(), NAME_MAX_CHARS)
    check_chars("branch", branch, NAME_MAX_CHARS)
    check_bytes("description", description)


def _ensure_steward(principal: Principal, row: Any, action: str) -> None:
    """The sprint's creator, the team's managers and admins steer a sprint."""
    agent = principal.agent
    if agent is None or agent.is_manager or row.created_by == agent.name:
        return
    raise Forbidden(f"only the sprint's creator ({row.created_by}), a manager or an admin may {action}")
