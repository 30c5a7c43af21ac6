"""The real `git` binary as a subprocess: arguments as a list (never a shell), `-C <dir>`, a timeout, and
failures raised as `GitError` carrying git's own stderr."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio

GIT_TIMEOUT_SECONDS = 60.0

# Commits the hub makes itself (merge and squash commits, rebased copies) need an identity even where the
# machine has none configured; a configured environment wins.
HUB_IDENTITY = {
    "GIT_AUTHOR_NAME": "Switchboard",
    "GIT_AUTHOR_EMAIL": "switchboard@localhost",
    "GIT_COMMITTER_NAME": "Switchboard",
    "GIT_COMMITTER_EMAIL": "switchboard@localhost",
}
# Variables that would point git at another repository than the one named with -C.
_REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")


class GitError(Exception):
    """A git command failed; `stderr` is what git said."""

    def __init__(self, args: tuple[str, ...], returncode: int | None, stderr: str, stdout: str = "") -> None:
        self.args_run = args
        self.returncode = returncode
        self.stderr = stderr.strip()
        self.stdout = stdout
        super().__init__(f"git {' '.join(args[:3])} failed: {self.stderr or f'exit code {returncode}'}")


@dataclass(frozen=True)
class GitOutput:
    returncode: int
    stdout: str
    stderr: str


def git_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in (base if base is not None else os.environ).items() if k not in _REPOSITORY_VARIABLES}
    for name, value in HUB_IDENTITY.items():
        env.setdefault(name, value)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


@dataclass(frozen=True)
class Git:
    """Git run in one directory: a repository or one of its worktrees."""

    path: Path
    timeout: float = GIT_TIMEOUT_SECONDS

    def at(self, path: Path) -> Git:
        return Git(path, self.timeout)

    async def run(self, *args: str, check: bool = True) -> GitOutput:
        command = ["git", "-C", str(self.path), *args]
        try:
            with anyio.fail_after(self.timeout):
                done = await anyio.run_process(command, check=False, env=git_environment())
        except TimeoutError as exc:
            raise GitError(args, None, f"git did not finish within {self.timeout:g} seconds") from exc
        except OSError as exc:
            raise GitError(args, None, f"could not run git: {exc}") from exc
        output = GitOutput(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
        if check and output.returncode != 0:
            raise GitError(args, output.returncode, output.stderr, output.stdout)
        return output

    async def text(self, *args: str) -> str:
        return (await self.run(*args)).stdout.strip()

    # -- reading ----------------------------------------------------------------------------------------------

    async def top_level(self) -> Path | None:
        """The working tree's root, or None when this is no git working tree."""
        found = await self.run("rev-parse", "--show-toplevel", check=False)
        return Path(found.stdout.strip()) if found.returncode == 0 and found.stdout.strip() else None

    async def common_dir(self) -> Path:
        found = Path(await self.text("rev-parse", "--git-common-dir"))
        return found if found.is_absolute() else (self.path / found).resolve()

    async def commit_of(self, rev: str) -> str | None:
        found = await self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        return found.stdout.strip() if found.returncode == 0 else None

    async def branch_commit(self, branch: str) -> str | None:
        return await self.commit_of(f"refs/heads/{branch}")

    async def is_ancestor(self, older: str, newer: str) -> bool:
        return (await self.run("merge-base", "--is-ancestor", older, newer, check=False)).returncode == 0

    async def valid_branch_name(self, name: str) -> bool:
        return (await self.run("check-ref-format", "--branch", name, check=False)).returncode == 0

    async def checkout_of(self, branch: str) -> Path | None:
        """The worktree where `branch` is checked out, if any."""
        listing = await self.text("worktree", "list", "--porcelain")
        path: Path | None = None
        for line in listing.splitlines():
            if line.startswith("worktree "):
                path = Path(line.removeprefix("worktree "))
            elif line == f"branch refs/heads/{branch}":
                return path
        return None

    # -- worktrees and branches -------------------------------------------------------------------------------

    async def add_worktree(self, path: Path, branch: str, start: str) -> None:
        """A worktree at `path` on `branch`: created from `start` when the branch is new, else the branch as is."""
        if await self.branch_commit(branch) is not None:
            await self.run("worktree", "add", str(path), branch)
        else:
            await self.run("worktree", "add", "-b", branch, str(path), start)

    async def remove_worktree(self, path: Path) -> None:
        if path.exists():
            await self.run("worktree", "remove", "--force", str(path))
        # A directory deleted by hand leaves git's record of it behind.
        await self.run("worktree", "prune")

    async def delete_branch(self, branch: str) -> None:
        if await self.branch_commit(branch) is not None:
            await self.run("branch", "-D", branch)

    async def exclude(self, pattern: str) -> None:
        """Keep `pattern` out of `git status` in this clone only (`info/exclude`, never committed)."""
        exclude = await self.common_dir() / "info" / "exclude"
        lines = exclude.read_text().splitlines() if exclude.exists() else []
        if pattern not in lines:
            exclude.parent.mkdir(parents=True, exist_ok=True)
            exclude.write_text("\n".join([*lines, pattern]) + "\n")
