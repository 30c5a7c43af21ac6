"""Bringing a task's branch into the base branch without ever leaving it half-done.

The new commit is built away from every checkout (`git merge-tree --write-tree` for merge and squash, a scratch
worktree for rebase); the base branch moves only once that commit is complete, and only from the commit it had
when the merge began.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from switchboard.worktrees.git import Git, GitError
from switchboard.worktrees.models import MergeStrategy


class MergeConflict(Exception):
    """The branch cannot be merged as it is; nothing was changed."""

    def __init__(self, reason: str, files: list[str]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.files = files


@dataclass(frozen=True)
class MergeResult:
    commit: str  # the base branch's new head
    head: str  # the branch's head that was merged


async def merge_into_base(
    repo: Git, base: str, branch: str, strategy: MergeStrategy, message: str, scratch: Path
) -> MergeResult:
    base_head = await repo.branch_commit(base)
    branch_head = await repo.branch_commit(branch)
    if base_head is None or branch_head is None:
        missing = base if base_head is None else branch
        raise MergeConflict(f"branch {missing} does not exist in {repo.path}", [])
    if await repo.is_ancestor(branch_head, base_head):
        return MergeResult(base_head, branch_head)  # nothing on the branch that the base lacks
    if strategy == MergeStrategy.REBASE:
        new = await _rebased(repo, base_head, branch_head, scratch)
    else:
        tree = await _merged_tree(repo, base_head, branch_head)
        parents = [base_head, branch_head] if strategy == MergeStrategy.MERGE else [base_head]
        new = await repo.text("commit-tree", tree, *[a for p in parents for a in ("-p", p)], "-m", message)
    await _advance(repo, base, base_head, new, message)
    return MergeResult(new, branch_head)


async def _merged_tree(repo: Git, base_head: str, branch_head: str) -> str:
    found = await repo.run(
        "merge-tree", "--write-tree", "--name-only", "--no-messages", base_head, branch_head, check=False
    )
    lines = found.stdout.splitlines()
    if found.returncode == 1:
        files = sorted({line for line in lines[1:] if line})
        raise MergeConflict("the branch conflicts with the base branch", files)
    if found.returncode != 0 or not lines:
        raise GitError(("merge-tree",), found.returncode, found.stderr, found.stdout)
    return lines[0]


async def _rebased(repo: Git, base_head: str, branch_head: str, scratch: Path) -> str:
    """The branch's commits replayed on the base, in a scratch worktree removed afterwards."""
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f".rebase-{secrets.token_hex(6)}"
    await repo.run("worktree", "add", "--detach", str(path), branch_head)
    work = repo.at(path)
    try:
        done = await work.run("rebase", base_head, check=False)
        if done.returncode == 0:
            return await work.text("rev-parse", "HEAD")
        files = (await work.run("diff", "--name-only", "--diff-filter=U", check=False)).stdout.split()
        await work.run("rebase", "--abort", check=False)
        if not files:
            raise GitError(("rebase",), done.returncode, done.stderr, done.stdout)
        raise MergeConflict("a commit of the branch conflicts with the base branch", sorted(set(files)))
    finally:
        await repo.remove_worktree(path)


async def _advance(repo: Git, base: str, expected: str, new: str, message: str) -> None:
    """Move the base branch from `expected` to `new`; where it is checked out, its files move with it."""
    checkout = await repo.checkout_of(base)
    if checkout is None:
        moved = await repo.run("update-ref", "-m", message, f"refs/heads/{base}", new, expected, check=False)
        if moved.returncode != 0:
            raise MergeConflict(f"branch {base} moved while merging; try again", [])
        return
    here = repo.at(checkout)
    if await here.commit_of("HEAD") != expected:
        raise MergeConflict(f"branch {base} moved while merging; try again", [])
    moved = await here.run("merge", "--ff-only", "--quiet", new, check=False)
    if moved.returncode != 0:
        reason = f"the checkout of {base} at {checkout} has local changes the merge would overwrite"
        raise MergeConflict(reason, _paths_in(moved.stderr))


def _paths_in(stderr: str) -> list[str]:
    # git lists the blocking files indented by a tab under its explanation.
    return sorted({line.strip() for line in stderr.splitlines() if line.startswith("\t")})
