"""The git layer alone: merging into the base branch wherever it is checked out, and reading diffs."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.worktrees.diffs import changed_files, unified_diff
from switchboard.worktrees.git import Git, GitError
from switchboard.worktrees.merging import MergeConflict, merge_into_base
from switchboard.worktrees.models import MergeStrategy, task_slug
from tests.worktrees.conftest import Repo


def branch_with_change(repo: Repo, name: str = "feature", file: str = "feature.txt") -> None:
    repo.git("switch", "-q", "-c", name)
    repo.commit(file, "new\n")
    repo.git("switch", "-q", "main")


async def test_a_base_branch_not_checked_out_anywhere_moves_by_its_ref_alone(repo: Repo) -> None:
    branch_with_change(repo)
    repo.git("switch", "-q", "-c", "elsewhere")

    result = await merge_into_base(Git(repo.path), "main", "feature", MergeStrategy.MERGE, "merge it", repo.path)

    assert repo.head("main") == result.commit
    assert repo.show("main", "feature.txt") == "new"
    assert repo.status() == ""  # the checkout of `elsewhere` was left alone
    assert not (repo.path / "feature.txt").exists()


async def test_local_changes_in_the_base_checkout_that_the_merge_would_overwrite_refuse_it(repo: Repo) -> None:
    branch_with_change(repo, file="app.py")
    (repo.path / "app.py").write_text("edited by hand\n")
    before = repo.head()

    with pytest.raises(MergeConflict) as refused:
        await merge_into_base(Git(repo.path), "main", "feature", MergeStrategy.SQUASH, "squash", repo.path)

    assert refused.value.files == ["app.py"]
    assert repo.head() == before
    assert (repo.path / "app.py").read_text() == "edited by hand\n"


async def test_a_branch_with_nothing_new_merges_as_a_no_op(repo: Repo) -> None:
    repo.git("branch", "feature")
    before = repo.head()

    result = await merge_into_base(Git(repo.path), "main", "feature", MergeStrategy.REBASE, "rebase", repo.path)

    assert result.commit == before == repo.head()


async def test_a_long_diff_is_cut_on_a_line_boundary(repo: Repo) -> None:
    start = repo.head()
    repo.commit("big.txt", "".join(f"line {i}\n" for i in range(2000)))
    git = Git(repo.path)

    cut, truncated = await unified_diff(git, start, ["HEAD"], limit=1000)
    whole, whole_truncated = await unified_diff(git, start, ["HEAD"])

    assert truncated and len(cut.encode()) <= 1000 and cut.endswith("\n")
    assert not whole_truncated and whole.startswith(cut)


async def test_changed_files_name_renames_and_deletions(repo: Repo) -> None:
    start = repo.head()
    repo.git("mv", "app.py", "main.py")
    repo.git("rm", "-q", "README.md")
    repo.git("commit", "-q", "-m", "reshuffle")

    files = await changed_files(Git(repo.path), start, ["HEAD"], untracked=False)

    assert {(f.path, f.status) for f in files} == {("main.py", "renamed"), ("README.md", "deleted")}


async def test_a_failing_git_command_raises_with_gits_message(tmp_path: Path) -> None:
    with pytest.raises(GitError) as failed:
        await Git(tmp_path).run("log")
    assert "not a git repository" in failed.value.stderr


def test_slugs_take_the_first_three_words_of_the_title() -> None:
    assert task_slug("Create GET/PATCH /api/v1/users/me endpoint") == "create-get-patch"
    assert task_slug("Build profile page component in React") == "build-profile-page"
    assert task_slug("!!!") == "task"
