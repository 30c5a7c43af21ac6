"""Worktrees through the service, with real git repositories, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.hub import Hub
from switchboard.tasks.models import TaskDraft
from switchboard.worktrees.models import Repository
from tests.conftest import Member, World
from tests.worktrees.conftest import Repo


async def registered(world: World, repo: Repo, **options: object) -> Repository:
    return await world.hub.worktrees.register_repository(world.admin, world.team.id, "app", str(repo.path), **options)  # type: ignore[arg-type]


async def claimed_task(world: World, agent: Member, title: str = "Create GET/PATCH /api/v1/users/me endpoint") -> int:
    hub = world.hub
    task = await hub.tasks.create_task(agent.principal, TaskDraft(title=title))
    claimed = await hub.claims.claim_task(agent.principal, task.id)
    assert claimed.worktree is not None
    return task.id


async def test_a_claimed_task_gets_its_own_worktree_on_its_own_branch(world: World, repo: Repo) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task = await world.hub.tasks.create_task(builder.principal, TaskDraft(title="Create GET/PATCH /api/v1/users/me"))

    claimed = await world.hub.claims.claim_task(builder.principal, task.id)

    expected = repo.path / ".worktrees" / f"task-{task.id}-create-get-patch"
    assert claimed.worktree == str(expected)
    assert claimed.to_json()["worktree"] == str(expected)
    assert (expected / "app.py").read_text() == "print('hello')\n"
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD", cwd=expected) == f"task/{task.id}-create-get-patch"
    worktree = await world.hub.worktrees.worktree_of(builder.principal, task.id)
    assert worktree.status == "active"
    assert worktree.base_commit == repo.head()
    assert (await world.hub.tasks.get_task(builder.principal, task.id)).task.worktree == str(expected)
    assert repo.status() == ""  # the worktrees folder stays out of the repository's status


async def test_claim_next_gets_a_worktree_and_a_reclaim_reuses_it(world: World, repo: Repo) -> None:
    await registered(world, repo, branch_prefix="agents/")
    builder = await world.agent("builder")
    await world.hub.tasks.create_task(builder.principal, TaskDraft(title="Build profile page component"))
    task = await world.hub.claims.claim_next(builder.principal)
    assert task is not None and task.worktree is not None
    Path(task.worktree, "note.txt").write_text("work in progress\n")

    again = await world.hub.claims.claim_task(builder.principal, task.id)

    assert again.worktree == task.worktree
    assert Path(task.worktree, "note.txt").exists()
    assert f"agents/{task.id}-build-profile-page" in repo.branches()


async def test_committed_and_uncommitted_work_shows_in_the_diff_and_changed_files(world: World, repo: Repo) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task_id = await claimed_task(world, builder)
    path = Path((await world.hub.worktrees.worktree_of(builder.principal, task_id)).path)
    repo.commit("api/users.py", "def me():\n    return {}\n", cwd=path)
    (path / "app.py").write_text("print('changed')\n")
    (path / "scratch.txt").write_text("notes\n")

    diff = await world.hub.worktrees.diff(builder.principal, task_id)

    files = {f.path: f.status for f in diff.changed_files}
    assert files == {"api/users.py": "added", "app.py": "modified", "scratch.txt": "untracked"}
    assert diff.diff is not None and "+def me():" in diff.diff and "+print('changed')" in diff.diff
    assert diff.truncated is False


async def test_finishing_the_task_removes_the_worktree_but_keeps_the_branch(world: World, repo: Repo) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task_id = await claimed_task(world, builder)
    worktree = await world.hub.worktrees.worktree_of(builder.principal, task_id)
    repo.commit("feature.txt", "done\n", cwd=Path(worktree.path))

    done = await world.hub.claims.complete_task(builder.principal, task_id, "SUCCESS")

    assert done.worktree is None
    assert not Path(worktree.path).exists()
    assert worktree.branch in repo.branches()
    after = await world.hub.worktrees.worktree_of(builder.principal, task_id)
    assert after.status == "removed"
    diff = await world.hub.worktrees.diff(builder.principal, task_id)
    assert [(f.path, f.status) for f in diff.changed_files] == [("feature.txt", "added")]


async def test_cancelling_a_claimed_task_removes_its_worktree(world: World, repo: Repo) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task_id = await claimed_task(world, builder)
    path = Path((await world.hub.worktrees.worktree_of(builder.principal, task_id)).path)

    await world.hub.tasks.cancel_task(world.admin, task_id)

    assert not path.exists()
    assert (await world.hub.worktrees.worktree_of(world.admin, task_id)).status == "removed"


async def test_the_periodic_sweep_removes_worktrees_of_tasks_that_ended_otherwise(
    world: World, repo: Repo, hub: Hub
) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task_id = await claimed_task(world, builder)
    path = Path((await hub.worktrees.worktree_of(builder.principal, task_id)).path)
    hub.claims.on_finished.clear()
    await hub.claims.complete_task(builder.principal, task_id, "FAILED")
    assert path.exists()

    await hub.housekeeping()

    assert not path.exists()


@pytest.mark.parametrize("strategy", ["merge", "squash", "rebase"])
async def test_merging_brings_the_branch_into_the_base_branch(world: World, repo: Repo, strategy: str) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task_id = await claimed_task(world, builder)
    worktree = await world.hub.worktrees.worktree_of(builder.principal, task_id)
    repo.commit("api/users.py", "def me(): ...\n", cwd=Path(worktree.path))
    repo.commit("api/users_test.py", "def test_me(): ...\n", cwd=Path(worktree.path))
    repo.commit("other.txt", "meanwhile on main\n")  # the base moved on: no fast-forward
    before = repo.head()
    await world.hub.claims.complete_task(builder.principal, task_id, "SUCCESS")

    merged = await world.hub.worktrees.merge(world.admin, task_id, strategy)

    assert merged.status == "merged"
    assert merged.merge_commit == repo.head()
    assert repo.show("main", "api/users.py") == "def me(): ..."
    assert repo.show("main", "other.txt") == "meanwhile on main"
    assert repo.status() == ""  # main is checked out in the repository: its files moved with it
    assert (repo.path / "api/users_test.py").exists()
    assert worktree.branch not in repo.branches()
    parents = repo.git("rev-list", "--parents", "-n", "1", "main").split()[1:]
    if strategy == "merge":
        assert parents[0] == before and len(parents) == 2
    elif strategy == "squash":
        assert parents == [before]
    else:
        assert repo.git("rev-list", "--count", f"{before}..main") == "2"
    diff = await world.hub.worktrees.diff(world.admin, task_id)
    assert {f.path for f in diff.changed_files} == {"api/users.py", "api/users_test.py"}


async def test_a_conflicting_merge_is_refused_naming_the_files_and_changes_nothing(world: World, repo: Repo) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task_id = await claimed_task(world, builder)
    worktree = await world.hub.worktrees.worktree_of(builder.principal, task_id)
    repo.commit("app.py", "print('from the branch')\n", cwd=Path(worktree.path))
    repo.commit("app.py", "print('from main')\n")
    await world.hub.claims.complete_task(builder.principal, task_id, "SUCCESS")
    before = repo.head()

    for strategy in ("merge", "squash", "rebase"):
        with pytest.raises(Conflict) as refused:
            await world.hub.worktrees.merge(world.admin, task_id, strategy)
        assert refused.value.details["files"] == ["app.py"]
        assert "app.py" in refused.value.message

    assert repo.head() == before
    assert repo.status() == ""
    assert (repo.path / "app.py").read_text() == "print('from main')\n"
    assert worktree.branch in repo.branches()
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 1
    assert (await world.hub.worktrees.worktree_of(world.admin, task_id)).status == "removed"


async def test_a_task_still_being_worked_on_is_not_merged(world: World, repo: Repo) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task_id = await claimed_task(world, builder)

    with pytest.raises(Conflict, match="still claimed"):
        await world.hub.worktrees.merge(world.admin, task_id)


async def test_only_managers_and_admins_register_repositories_and_merge(world: World, repo: Repo) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    with pytest.raises(Forbidden):
        await world.hub.worktrees.register_repository(builder.principal, world.team.id, "app", str(repo.path))
    await world.hub.worktrees.register_repository(manager.principal, world.team.id, "app", str(repo.path))
    task_id = await claimed_task(world, builder)
    await world.hub.claims.complete_task(builder.principal, task_id, "SUCCESS")

    with pytest.raises(Forbidden):
        await world.hub.worktrees.merge(builder.principal, task_id)
    assert (await world.hub.worktrees.merge(manager.principal, task_id)).status == "merged"


async def test_another_teams_repositories_and_worktrees_are_not_found(world: World, repo: Repo) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task_id = await claimed_task(world, builder)
    other = await world.other_team()
    outsider = await other.manager()

    with pytest.raises(NotFound):
        await world.hub.worktrees.worktree_of(outsider.principal, task_id)
    with pytest.raises(NotFound):
        await world.hub.worktrees.diff(outsider.principal, task_id)
    with pytest.raises(NotFound):
        await world.hub.worktrees.merge(outsider.principal, task_id)
    with pytest.raises(NotFound):
        await world.hub.worktrees.list_repositories(outsider.principal, world.team.id)
    with pytest.raises(NotFound):
        await world.hub.worktrees.register_repository(outsider.principal, world.team.id, "x", str(repo.path))


async def test_registration_checks_the_repository_with_git(world: World, repo: Repo, tmp_path: Path) -> None:
    service = world.hub.worktrees
    team = world.team.id
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InvalidInput, match="not a git working tree"):
        await service.register_repository(world.admin, team, "app", str(plain))
    with pytest.raises(InvalidInput, match="no branch 'develop'"):
        await service.register_repository(world.admin, team, "app", str(repo.path), base_branch="develop")
    with pytest.raises(InvalidInput, match="absolute"):
        await service.register_repository(world.admin, team, "app", "project")
    with pytest.raises(InvalidInput):
        await service.register_repository(world.admin, team, "app", str(repo.path), merge_strategy="octopus")
    with pytest.raises(InvalidInput):
        await service.register_repository(world.admin, team, "app", str(repo.path), branch_prefix="bad..")
    assert await service.list_repositories(world.admin, team) == []
    await service.register_repository(world.admin, team, "app", str(repo.path))
    with pytest.raises(Conflict):
        await service.register_repository(world.admin, team, "app", str(repo.path))


async def test_a_git_failure_leaves_the_claim_standing_and_shows_the_error(world: World, repo: Repo) -> None:
    await registered(world, repo)
    builder = await world.agent("builder")
    task = await world.hub.tasks.create_task(builder.principal, TaskDraft(title="Broken"))
    blocker = repo.path / ".worktrees" / f"task-{task.id}-broken"
    blocker.parent.mkdir()
    blocker.write_text("a file where the worktree should go")

    claimed = await world.hub.claims.claim_task(builder.principal, task.id)

    assert claimed.status == "claimed" and claimed.worktree is None
    worktree = await world.hub.worktrees.worktree_of(builder.principal, task.id)
    assert worktree.status == "failed"
    assert worktree.error
    blocker.unlink()
    again = await world.hub.claims.claim_task(builder.principal, task.id)
    assert again.worktree == str(blocker)


async def test_a_task_of_a_team_without_a_repository_has_no_worktree(world: World) -> None:
    builder = await world.agent("builder")
    task = await world.hub.tasks.create_task(builder.principal, TaskDraft(title="plain"))
    claimed = await world.hub.claims.claim_task(builder.principal, task.id)
    assert claimed.worktree is None
    with pytest.raises(NotFound, match="no worktree"):
        await world.hub.worktrees.worktree_of(builder.principal, task.id)


async def test_a_repo_tag_picks_the_repository(world: World, repo: Repo, tmp_path: Path) -> None:
    second = Repo(tmp_path / "second")
    second.path.mkdir()
    second.git("init", "-q", "-b", "trunk")
    second.commit("lib.py", "x = 1\n")
    await registered(world, repo)
    await world.hub.worktrees.register_repository(
        world.admin, world.team.id, "lib", str(second.path), base_branch="trunk", merge_strategy="squash"
    )
    builder = await world.agent("builder")
    task = await world.hub.tasks.create_task(builder.principal, TaskDraft(title="lib work", tags=["repo:lib"]))

    claimed = await world.hub.claims.claim_task(builder.principal, task.id)

    assert claimed.worktree is not None and claimed.worktree.startswith(str(second.path))
    worktree = await world.hub.worktrees.worktree_of(builder.principal, task.id)
    assert (worktree.repository, worktree.base_branch) == ("lib", "trunk")
