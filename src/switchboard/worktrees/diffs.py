"""What a task's branch changed against the commit it started from."""

from __future__ import annotations

from pathlib import Path

from switchboard.worktrees.git import Git
from switchboard.worktrees.models import ChangedFile

DIFF_MAX_BYTES = 1024 * 1024
_STATUS_NAMES = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "type_changed",
    "U": "unmerged",
}
_DIFF_OPTIONS = ("--no-color", "--no-ext-diff")


def changes_source(repo: Git, worktree_path: Path, active: bool, head: str | None) -> tuple[Git, list[str]]:
    """Where to read the changes and against what: a live worktree compares its files (committed or not) with
    the base commit; otherwise the branch's (or merged branch's) last commit is compared."""
    if active and worktree_path.is_dir():
        return repo.at(worktree_path), []
    return repo, [head] if head else []


async def changed_files(git: Git, base_commit: str, head: list[str], untracked: bool) -> list[ChangedFile]:
    output = await git.text("diff", *_DIFF_OPTIONS, "--name-status", "-z", base_commit, *head)
    files = _parse_name_status(output)
    if untracked:
        others = await git.text("ls-files", "--others", "--exclude-standard", "-z")
        files.extend(ChangedFile(p, "untracked") for p in others.split("\0") if p)
    return files


async def unified_diff(git: Git, base_commit: str, head: list[str], limit: int = DIFF_MAX_BYTES) -> tuple[str, bool]:
    """The patch, cut at `limit` bytes on a line boundary; and whether it was cut."""
    output = (await git.run("diff", *_DIFF_OPTIONS, base_commit, *head)).stdout
    data = output.encode()
    if len(data) <= limit:
        return output, False
    cut = data[:limit]
    cut = cut[: cut.rfind(b"\n") + 1] or cut
    return cut.decode(errors="ignore"), True


def _parse_name_status(output: str) -> list[ChangedFile]:
    fields = output.split("\0")
    files: list[ChangedFile] = []
    i = 0
    while i < len(fields) and fields[i]:
        code = fields[i][0]
        # Renames and copies name the old path, then the new one.
        path_index = i + 2 if code in "RC" else i + 1
        if path_index >= len(fields):
            break
        files.append(ChangedFile(fields[path_index], _STATUS_NAMES.get(code, "modified")))
        i = path_index + 1
    return files
