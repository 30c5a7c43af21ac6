"""Approval and the task's branch, with real git repositories: merged on approval when the repository asks for it,
and a branch that conflicts sends the task back to its engineer with nothing merged."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.messages.models import MessagePriority, MessageType
from switchboard.reviews.models import ReviewStatus
from switchboard.tasks.models import TaskStatus
from switchboard.worktrees.models import WorktreeStatus
from tests.conftest import Member, World
from tests.reviews.helpers import claimed, event_kinds, inbox
from tests.worktrees.conftest import Repo, new_repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return new_repo(tmp_path / "project")


async def worked_on(world: World, repo: Repo, builder: Member, text: str = "print('hello, reviewed')\n") -> int:
    """A claimed task whose branch changes app.py and adds login.py, committed in its worktree."""
    task = await claimed(world, builder, "Add the login form")
    assert task.worktree is not None
    repo.commit("app.py", text, cwd=Path(task.worktree))
    repo.commit("login.py", "def login():\n    return True\n", cwd=Path(task.worktree))
    return task.id


@pytest.mark.parametrize("strategy", ["merge", "squash", "rebase"])
async def test_approval_merges_the_branch_when_the_repository_merges_on_approve(
    world: World, repo: Repo, strategy: str
) -> None:
    hub = world.hub
    await hub.worktrees.register_repository(
        world.admin, world.team.id, "app", str(repo.path), merge_strategy=strategy, merge_on_approve=True
    )
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task_id = await worked_on(world, repo, builder)
    worktree = await hub.worktrees.worktree_of(builder.principal, task_id)
    await hub.reviews.request_review(builder.principal, task_id, "critic")

    outcome = await hub.reviews.submit_review(critic.principal, task_id, "approve", "Good.")

    assert outcome.task.status == TaskStatus.DONE and outcome.task.worktree is None
    assert outcome.merge is not None and outcome.merge.merged and outcome.merge.merge_commit == repo.head()
    assert repo.show("main", "login.py") == "def login():\n    return True"
    after = await hub.worktrees.worktree_of(builder.principal, task_id)
    assert after.status == WorktreeStatus.MERGED and after.merge_commit == repo.head()
    assert worktree.branch not in repo.branches() and not Path(worktree.path).exists()
    assert "branch_merged" in await event_kinds(world, task_id)
    [message] = await inbox(world, builder)
    assert f"merged into main ({repo.head()})" in message.body


async def test_without_merge_on_approve_the_branch_is_kept_for_a_later_merge(world: World, repo: Repo) -> None:
    hub = world.hub
    await hub.worktrees.register_repository(world.admin, world.team.id, "app", str(repo.path))
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    base = repo.head()
    task_id = await worked_on(world, repo, builder)
    worktree = await hub.worktrees.worktree_of(builder.principal, task_id)
    await hub.reviews.request_review(builder.principal, task_id, "critic")

    outcome = await hub.reviews.submit_review(critic.principal, task_id, "approve")

    assert outcome.task.status == TaskStatus.DONE and outcome.merge is None
    assert repo.head() == base
    assert worktree.branch in repo.branches() and not Path(worktree.path).exists()
    assert (await hub.worktrees.worktree_of(builder.principal, task_id)).status == WorktreeStatus.REMOVED


async def test_a_branch_that_conflicts_is_approved_but_goes_back_to_its_engineer_with_nothing_merged(
    world: World, repo: Repo
) -> None:
    hub = world.hub
    await hub.worktrees.register_repository(world.admin, world.team.id, "app", str(repo.path), merge_on_approve=True)
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    task_id = await worked_on(world, repo, builder)
    worktree = await hub.worktrees.worktree_of(builder.principal, task_id)
    repo.commit("app.py", "print('hello from main')\n", "meanwhile on main")
    base = repo.head()
    await hub.reviews.request_review(builder.principal, task_id, "critic")

    outcome = await hub.reviews.submit_review(critic.principal, task_id, "approve", "Good, once merged.")

    assert outcome.review.status == ReviewStatus.APPROVED
    back = outcome.task
    assert (back.status, back.holder, back.worktree) == (TaskStatus.CLAIMED, "builder", worktree.path)
    assert back.lease_expires_at is not None and back.finished_at is None
    assert outcome.merge is not None and not outcome.merge.merged and outcome.merge.files == ("app.py",)
    assert repo.head() == base and repo.status() == ""
    assert worktree.branch in repo.branches() and Path(worktree.path, "login.py").exists()
    assert (await hub.worktrees.worktree_of(builder.principal, task_id)).status == WorktreeStatus.ACTIVE
    [message] = await inbox(world, builder)
    assert (message.message_type, message.priority) == (MessageType.DIRECTIVE, MessagePriority.HIGH)
    assert "conflicts with main (conflicting files: app.py)" in message.body
    assert "rebase" in message.body and "request_review again" in message.body

    # The engineer brings its branch up to date, asks again, and the approval merges this time.
    repo.git("merge", "-q", "-X", "ours", "main", cwd=Path(worktree.path))
    await hub.reviews.request_review(builder.principal, task_id, "critic", "Merged main in.")
    again = await hub.reviews.submit_review(critic.principal, task_id, "approve")

    assert again.task.status == TaskStatus.DONE and again.merge is not None and again.merge.merged
    assert repo.show("main", "app.py") == "print('hello, reviewed')"
    assert repo.show("main", "login.py") == "def login():\n    return True"
