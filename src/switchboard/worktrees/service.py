"""Repositories a team registers, the worktree and branch each claimed task gets, its diff, and the merge."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Conflict, InvalidInput, NotFound
from switchboard.limits import check_chars
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks import records
from switchboard.tasks.models import TERMINAL, Task, TaskStatus
from switchboard.teams.access import require_manager
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService
from switchboard.worktrees.diffs import changed_files, changes_source, unified_diff
from switchboard.worktrees.git import GIT_TIMEOUT_SECONDS, Git, GitError
from switchboard.worktrees.merging import MergeConflict, MergeResult, merge_into_base
from switchboard.worktrees.models import MergeStrategy, Repository, TaskDiff, Worktree, WorktreeStatus, task_slug

R = s.repositories
W = s.task_worktrees
T = s.tasks
log = logging.getLogger("switchboard.worktrees")
REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
REPO_TAG = "repo:"
LOOKED_UP_MAX = 10_000
WORKTREE_COLUMNS = (
    *W.c,
    R.c.name.label("repository_name"),
    R.c.path.label("repository_path"),
    R.c.base_branch,
    R.c.worktree_root,
    R.c.merge_strategy,
    R.c.merge_on_approve,
    R.c.team_id,
)


class GitFailed(Conflict):
    """Git could not do what was asked in the repository."""

    code = "git_failed"


class BranchNotMerged(Conflict):
    """The task's branch cannot be merged into the base branch as it is; nothing was changed."""

    @property
    def files(self) -> list[str]:
        return list(self.details.get("files", []))

    @property
    def reason(self) -> str:
        return str(self.details.get("reason", self.message))


class WorktreeService:
    def __init__(
        self, db: Database, clock: Clock, teams: TeamService, git_timeout: float = GIT_TIMEOUT_SECONDS
    ) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
        self.git_timeout = git_timeout
        # Git operations on one repository are made one at a time by this process.
        self._locks: dict[int, anyio.Lock] = {}
        # The repository each just-claimed task works in, looked up for a whole batch of claims at once.
        self._looked_up: dict[int, Repository | None] = {}

    # -- repositories -------------------------------------------------------------------------------------------

    async def register_repository(
        self,
        principal: Principal,
        team_id: int,
        name: str,
        path: str,
        base_branch: str = "main",
        branch_prefix: str = "task/",
        worktree_root: str | None = None,
        merge_strategy: str = "merge",
        merge_on_approve: bool = False,
    ) -> Repository:
        """Let the team's claimed tasks get worktrees of the git repository at `path` (on this hub's machine)."""
        team = await self.teams.get_team(principal, team_id)
        require_manager(principal, team.id, "register a repository")
        if not REPOSITORY_NAME.match(name or ""):
            raise InvalidInput(f"repository name {name!r} must be 1-100 letters, digits, '.', '_' or '-'", name=name)
        check_chars("branch_prefix", branch_prefix, 100)
        strategy = MergeStrategy.parse(merge_strategy)
        top = await self._checked_repository(path, base_branch, branch_prefix)
        root = str(_absolute("worktree_root", worktree_root)) if worktree_root else None
        now = self.clock()
        async with self.db.write() as conn:
            taken = await conn.scalar(sa.select(R.c.id).where(R.c.team_id == team.id, R.c.name == name))
            if taken is not None:
                raise Conflict(f"team {team.id} already has a repository named {name!r}", repository_id=taken)
            values = {
                "team_id": team.id,
                "name": name,
                "path": str(top),
                "base_branch": base_branch,
                "branch_prefix": branch_prefix,
                "worktree_root": root,
                "merge_strategy": strategy.value,
                "merge_on_approve": merge_on_approve,
                "created_at": now,
            }
            new_id = (await conn.execute(R.insert().values(**values).returning(R.c.id))).scalar_one()
            event = {"repository": name, "path": str(top), "base_branch": base_branch}
            await records.append_events(conn, team.id, principal.actor, now, [(None, "repository_registered", event)])
        if root is None:
            # The default worktree folder sits inside the repository: keep it out of its `git status`.
            await self._git(str(top)).exclude("/.worktrees/")
        return _repository({"id": new_id, **values})

    async def list_repositories(self, principal: Principal, team_id: int) -> list[Repository]:
        team = await self.teams.get_team(principal, team_id)
        async with self.db.read() as conn:
            rows = await conn.execute(sa.select(R).where(R.c.team_id == team.id).order_by(R.c.id))
            return [_repository(r._mapping) for r in rows]

    async def remove_repository(self, principal: Principal, team_id: int, repository_id: int) -> Repository:
        """Forget a repository (its worktree history too). Refused while a task works in one of its worktrees."""
        team = await self.teams.get_team(principal, team_id)
        require_manager(principal, team.id, "remove a repository")
        now = self.clock()
        async with self.db.write() as conn:
            row = (await conn.execute(sa.select(R).where(R.c.id == repository_id, R.c.team_id == team.id))).first()
            if row is None:
                raise NotFound(f"repository {repository_id} not found")
            active = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(W)
                .where(W.c.repository_id == repository_id, W.c.status == WorktreeStatus.ACTIVE.value)
            )
            if active:
                raise Conflict(
                    f"repository {row.name} has {active} active worktree(s); finish or cancel their tasks first",
                    active_worktrees=active,
                )
            await conn.execute(W.delete().where(W.c.repository_id == repository_id))
            await conn.execute(R.delete().where(R.c.id == repository_id))
            await records.append_events(
                conn, team.id, principal.actor, now, [(None, "repository_removed", {"repository": row.name})]
            )
        return _repository(row._mapping)

    async def _checked_repository(self, path: str, base_branch: str, branch_prefix: str) -> Path:
        given = _absolute("path", path)
        top = await self._git(str(given)).top_level()
        if top is None:
            raise InvalidInput(f"{given} is not a git working tree (a clone with files checked out)", path=str(given))
        git = self._git(str(top))
        if not base_branch or await git.branch_commit(base_branch) is None:
            raise InvalidInput(f"{top} has no branch {base_branch!r}", base_branch=base_branch)
        if not await git.valid_branch_name(f"{branch_prefix}1-task"):
            raise InvalidInput(
                f"{branch_prefix!r} cannot start a git branch name; try 'task/'", branch_prefix=branch_prefix
            )
        return top

    # -- a task's worktree ------------------------------------------------------------------------------------

    async def look_up_repositories(self, tasks: Sequence[Task]) -> None:
        """Before `ensure_worktree` for each of these claimed tasks: find their repositories in one read."""
        if len(self._looked_up) > LOOKED_UP_MAX:
            self._looked_up.clear()  # left by callers that went away before asking
        async with self.db.read() as conn:
            rows = await conn.execute(_REPOSITORIES_OF_TEAMS, {"team_ids": sorted({t.team_id for t in tasks})})
            repos = [_repository(r._mapping) for r in rows]
        for task in tasks:
            self._looked_up[task.id] = _choose_repository(repos, task)

    async def ensure_worktree(self, task: Task) -> Task:
        """Give a claimed task its worktree and branch, once: a re-claim finds the same one.

        Git failing does not undo the claim: the worktree is recorded as `failed` with git's message.
        Returns the task with its worktree path when it has one.
        """
        if task.id in self._looked_up:
            repo = self._looked_up.pop(task.id)
        else:
            async with self.db.read() as conn:
                repo = await _repository_for(conn, task)
        if repo is None:
            return task
        async with self._lock(repo.id):
            async with self.db.read() as conn:
                row: Any = (await conn.execute(sa.select(W).where(W.c.task_id == task.id))).first()
            if row is not None and row.status == WorktreeStatus.ACTIVE.value and Path(row.path).is_dir():
                return replace(task, worktree=row.path)
            keep = row is not None and row.repository_id == repo.id
            slug = task_slug(task.title)
            path = Path(row.path) if keep else Path(repo.worktrees_dir) / f"task-{task.id}-{slug}"
            branch = row.branch if keep else f"{repo.branch_prefix}{task.id}-{slug}"
            git = self._git(repo.path)
            base_commit, error = "", None
            try:
                base_commit = await _start_commit(git, repo, branch, row.base_commit if keep else "")
                await git.run("worktree", "prune")
                await git.add_worktree(path, branch, base_commit)
            except GitError as exc:
                error = (exc.stderr or str(exc))[:1000]
                log.warning("task %d: no worktree in %s: %s", task.id, repo.path, error)
            await self._record_worktree(task, repo, path, branch, base_commit, error)
        return task if error else replace(task, worktree=str(path))

    async def _record_worktree(
        self, task: Task, repo: Repository, path: Path, branch: str, base_commit: str, error: str | None
    ) -> None:
        now = self.clock()
        values: dict[str, Any] = {
            "repository_id": repo.id,
            "path": str(path),
            "branch": branch,
            "base_commit": base_commit,
            "status": (WorktreeStatus.FAILED if error else WorktreeStatus.ACTIVE).value,
            "error": error,
            "merge_commit": None,
            "head_commit": None,
            "created_at": now,
            "removed_at": None,
            "merged_at": None,
        }
        async with self.db.write() as conn:
            exists = await conn.scalar(sa.select(W.c.task_id).where(W.c.task_id == task.id))
            if exists is None:
                await conn.execute(W.insert().values(task_id=task.id, **values))
            else:
                await conn.execute(W.update().where(W.c.task_id == task.id).values(**values))
            kind, data = ("worktree_failed", {"error": error}) if error else ("worktree_created", {})
            data |= {"repository": repo.name, "path": str(path), "branch": branch}
            await records.append_events(conn, task.team_id, "hub", now, [(task.id, kind, data)])

    async def release(self, task: Task) -> Task:
        """When a task ends: remove its worktree's directory, keeping the branch so it can still be merged."""
        if task.worktree is None:
            return task
        return replace(task, worktree=None) if await self.release_task(task.id) else task

    async def release_task(self, task_id: int) -> bool:
        async with self.db.read() as conn:
            row = await _worktree_row(conn, task_id)
        if row is None or row.status != WorktreeStatus.ACTIVE.value:
            return False
        async with self._lock(row.repository_id):
            try:
                await self._git(row.repository_path).remove_worktree(Path(row.path))
            except GitError as exc:
                # Left active: the periodic sweep tries again.
                log.warning("task %d: worktree %s not removed: %s", task_id, row.path, exc.stderr)
                return False
            now = self.clock()
            async with self.db.write() as conn:
                await conn.execute(
                    W.update()
                    .where(W.c.task_id == task_id, W.c.status == WorktreeStatus.ACTIVE.value)
                    .values(status=WorktreeStatus.REMOVED.value, removed_at=now)
                )
                data = {"path": row.path, "branch": row.branch}
                await records.append_events(conn, row.team_id, "hub", now, [(task_id, "worktree_removed", data)])
        return True

    async def release_finished(self) -> int:
        """Remove the worktrees of tasks that ended without their removal (a sweep, a restart in between)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(W.c.task_id)
                .join(T, T.c.id == W.c.task_id)
                .where(W.c.status == WorktreeStatus.ACTIVE.value, T.c.status.in_([t.value for t in TERMINAL]))
                .limit(100)
            )
            task_ids = [r.task_id for r in rows]
        released = 0
        for task_id in task_ids:
            released += await self.release_task(task_id)
        return released

    async def worktree_of(self, principal: Principal, task_id: int) -> Worktree:
        async with self.db.read() as conn:
            await records.load_visible_row(conn, task_id, principal)
            row = await _worktree_row(conn, task_id)
        if row is None:
            raise NotFound(
                f"task {task_id} has no worktree: its team has no repository, or it has not been claimed",
                task_id=task_id,
            )
        return _worktree(row)

    async def diff(self, principal: Principal, task_id: int, with_patch: bool = True) -> TaskDiff:
        """What the task's branch changed since it started: committed work, and in a live worktree also
        uncommitted and untracked files. The patch is cut at 1 MiB (`truncated`)."""
        worktree = await self.worktree_of(principal, task_id)
        if worktree.status == WorktreeStatus.FAILED:
            raise Conflict(f"task {task_id} has no worktree: git could not create it: {worktree.error}")
        repo = self._git(worktree.repository_path)
        try:
            head = worktree.head_commit or await repo.branch_commit(worktree.branch)
            active = worktree.status == WorktreeStatus.ACTIVE
            git, heads = changes_source(repo, Path(worktree.path), active, head)
            if git is repo and not heads:
                raise Conflict(f"branch {worktree.branch} of task {task_id} no longer exists", branch=worktree.branch)
            files = await changed_files(git, worktree.base_commit, heads, untracked=git is not repo)
            patch, truncated = await unified_diff(git, worktree.base_commit, heads) if with_patch else (None, False)
        except GitError as exc:
            raise GitFailed(f"git could not read the changes of task {task_id}: {exc.stderr}") from exc
        return TaskDiff(worktree, tuple(files), patch, truncated)

    # -- merging ----------------------------------------------------------------------------------------------

    async def merge(self, principal: Principal, task_id: int, strategy: str | None = None) -> Worktree:
        """Bring the task's branch into the base branch (merge, squash or rebase; the repository's default).

        A conflict changes nothing and names the files. Afterwards the worktree and the branch are gone.
        """
        async with self.db.read() as conn:
            task_row = await records.load_visible_row(conn, task_id, principal)
            row = await _worktree_row(conn, task_id)
        require_manager(principal, task_row.team_id, "merge a task's branch")
        if row is None:
            raise NotFound(f"task {task_id} has no worktree, so no branch to merge", task_id=task_id)
        _ensure_mergeable(task_id, task_row.status, row)
        chosen = MergeStrategy.parse(strategy, default=MergeStrategy(row.merge_strategy))
        async with self._lock(row.repository_id):
            git = self._git(row.repository_path)
            result = await _merge_branch(git, row, chosen, task_row.title)
            await self._tidy_after_merge(git, row)
            async with self.db.write() as conn:
                await _record_merge(conn, row, chosen, result, principal.actor, self.clock())
        return await self.worktree_of(principal, task_id)

    @asynccontextmanager
    async def approval_merge(self, task_id: int) -> AsyncIterator[ApprovalMerge | None]:
        """The task's branch, held for a merge its approval makes: None when its repository does not merge on
        approval or there is no branch left to merge.

        Run the merge inside the transaction that records the approval, so that the branch is merged exactly when
        the approval commits; the worktree and branch are removed after the block, once that has committed.
        """
        async with self.db.read() as conn:
            row = await _worktree_row(conn, task_id)
        if row is None or not row.merge_on_approve:
            yield None
            return
        async with self._lock(row.repository_id):
            async with self.db.read() as conn:
                row = await _worktree_row(conn, task_id)
            if row is None or row.status in (WorktreeStatus.MERGED.value, WorktreeStatus.FAILED.value):
                yield None
                return
            merge = ApprovalMerge(self._git(row.repository_path), row, self.clock)
            yield merge
            if merge.merge_commit is not None:
                await self._tidy_after_merge(self._git(row.repository_path), row)

    async def _tidy_after_merge(self, git: Git, row: Any) -> None:
        # The merge itself is done: failing to tidy up is logged, never reported as a failed merge.
        try:
            if row.status == WorktreeStatus.ACTIVE.value:
                await git.remove_worktree(Path(row.path))
            await git.delete_branch(row.branch)
        except GitError as exc:
            log.warning("after merging %s: %s", row.branch, exc.stderr)

    def _git(self, path: str) -> Git:
        return Git(Path(path), self.git_timeout)

    def _lock(self, repository_id: int) -> anyio.Lock:
        return self._locks.setdefault(repository_id, anyio.Lock())


class ApprovalMerge:
    """A task's branch to merge while its approval is recorded (see `WorktreeService.approval_merge`)."""

    def __init__(self, git: Git, row: Any, clock: Clock) -> None:
        self._git = git
        self._row = row
        self._clock = clock
        self.merge_commit: str | None = None

    @property
    def branch(self) -> str:
        return str(self._row.branch)

    @property
    def base_branch(self) -> str:
        return str(self._row.base_branch)

    async def run(self, conn: AsyncConnection, title: str, actor: str) -> str:
        """Merge with the repository's strategy and record it in `conn`'s transaction; the base's new head.

        Raises BranchNotMerged, having changed nothing, when the branch cannot be merged as it is.
        """
        strategy = MergeStrategy(self._row.merge_strategy)
        result = await _merge_branch(self._git, self._row, strategy, title)
        await _record_merge(conn, self._row, strategy, result, actor, self._clock())
        self.merge_commit = result.commit
        return result.commit


async def _merge_branch(git: Git, row: Any, strategy: MergeStrategy, title: str) -> MergeResult:
    message = _merge_message(strategy, row.task_id, title, row.branch)
    scratch = Path(row.worktree_root or f"{row.repository_path}/.worktrees")
    try:
        return await merge_into_base(git, row.base_branch, row.branch, strategy, message, scratch)
    except MergeConflict as exc:
        files = f" (conflicting files: {', '.join(exc.files)})" if exc.files else ""
        raise BranchNotMerged(
            f"cannot {strategy.value} {row.branch} into {row.base_branch}: {exc.reason}{files}; nothing was changed",
            reason=exc.reason,
            files=exc.files,
            branch=row.branch,
            base_branch=row.base_branch,
        ) from exc
    except GitError as exc:
        raise GitFailed(f"git could not merge {row.branch}: {exc.stderr}", branch=row.branch) from exc


async def _record_merge(
    conn: AsyncConnection, row: Any, strategy: MergeStrategy, result: MergeResult, actor: str, now: datetime
) -> None:
    await conn.execute(
        W.update()
        .where(W.c.task_id == row.task_id)
        .values(
            status=WorktreeStatus.MERGED.value,
            merge_commit=result.commit,
            head_commit=result.head,
            merged_at=now,
            removed_at=row.removed_at or now,
        )
    )
    data = {
        "branch": row.branch,
        "base_branch": row.base_branch,
        "strategy": strategy.value,
        "merge_commit": result.commit,
    }
    await records.append_events(conn, row.team_id, actor, now, [(row.task_id, "branch_merged", data)])


async def _repository_for(conn: AsyncConnection, task: Task) -> Repository | None:
    """The repository a task works in: the one its `repo:<name>` tag names, else the team's first."""
    named = _named_repository(task)
    query = sa.select(R).where(R.c.team_id == task.team_id).order_by(R.c.id).limit(1)
    if named is not None:
        query = query.where(R.c.name == named)
    row = (await conn.execute(query)).first()
    return _repository(row._mapping) if row is not None else None


def _choose_repository(repos: Sequence[Repository], task: Task) -> Repository | None:
    """`_repository_for` among repositories already read (in id order)."""
    named = _named_repository(task)
    return next((r for r in repos if r.team_id == task.team_id and named in (None, r.name)), None)


def _named_repository(task: Task) -> str | None:
    return next((t.removeprefix(REPO_TAG) for t in task.tags if t.startswith(REPO_TAG)), None)


async def _start_commit(git: Git, repo: Repository, branch: str, recorded: str) -> str:
    """Where the task's branch starts: the recorded start for a branch kept from before, else the base's head."""
    if recorded and await git.branch_commit(branch) is not None:
        return recorded
    head = await git.branch_commit(repo.base_branch)
    if head is None:
        raise GitError(("rev-parse",), None, f"branch {repo.base_branch} no longer exists in {repo.path}")
    return head


async def _worktree_row(conn: AsyncConnection, task_id: int) -> Any:
    query = sa.select(*WORKTREE_COLUMNS).join(R, R.c.id == W.c.repository_id).where(W.c.task_id == task_id)
    return (await conn.execute(query)).first()


def _ensure_mergeable(task_id: int, task_status: str, row: Any) -> None:
    if row.status == WorktreeStatus.MERGED.value:
        raise Conflict(
            f"task {task_id}'s branch was already merged ({row.merge_commit})", merge_commit=row.merge_commit
        )
    if row.status == WorktreeStatus.FAILED.value:
        raise Conflict(f"task {task_id} has no branch: git could not create its worktree: {row.error}")
    if task_status == TaskStatus.CLAIMED.value:
        raise Conflict(
            f"task {task_id} is still claimed by its holder; merge once it is in review or done", status=task_status
        )


def _merge_message(strategy: MergeStrategy, task_id: int, title: str, branch: str) -> str:
    if strategy == MergeStrategy.SQUASH:
        return f"{title} (task #{task_id})"
    return f"Merge branch '{branch}' (task #{task_id}: {title})"


def _absolute(field: str, raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise InvalidInput(f"{field} must be an absolute path on the hub's machine; got {raw!r}", **{field: raw})
    check_chars(field, raw, 1000)
    return path


def _repository(row: Any) -> Repository:
    return Repository(
        id=row["id"],
        team_id=row["team_id"],
        name=row["name"],
        path=row["path"],
        base_branch=row["base_branch"],
        branch_prefix=row["branch_prefix"],
        worktree_root=row["worktree_root"],
        merge_strategy=MergeStrategy(row["merge_strategy"]),
        merge_on_approve=bool(row["merge_on_approve"]),
        created_at=row["created_at"],
    )


def _worktree(row: Any) -> Worktree:
    return Worktree(
        task_id=row.task_id,
        repository=row.repository_name,
        repository_path=row.repository_path,
        path=row.path,
        branch=row.branch,
        base_branch=row.base_branch,
        base_commit=row.base_commit,
        status=WorktreeStatus(row.status),
        error=row.error,
        merge_commit=row.merge_commit,
        head_commit=row.head_commit,
        created_at=row.created_at,
        removed_at=row.removed_at,
        merged_at=row.merged_at,
    )


_REPOSITORIES_OF_TEAMS = sa.select(R).where(R.c.team_id.in_(sa.bindparam("team_ids", expanding=True))).order_by(R.c.id)
