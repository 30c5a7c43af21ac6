"""Real git repositories in the test's temporary folder."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

IDENTITY = {
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
}


@dataclass
class Repo:
    """A git working tree the tests read and write with the real git binary."""

    path: Path

    def git(self, *args: str, cwd: Path | None = None) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | IDENTITY
        done = subprocess.run(
            ["git", "-C", str(cwd or self.path), *args], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def commit(self, name: str, text: str, message: str | None = None, cwd: Path | None = None) -> str:
        where = cwd or self.path
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text)
        self.git("add", name, cwd=where)
        self.git("commit", "-q", "-m", message or f"write {name}", cwd=where)
        return self.git("rev-parse", "HEAD", cwd=where)

    def head(self, branch: str = "main") -> str:
        return self.git("rev-parse", f"refs/heads/{branch}")

    def status(self) -> str:
        return self.git("status", "--porcelain")

    def branches(self) -> list[str]:
        return self.git("branch", "--format=%(refname:short)").split()

    def show(self, rev: str, name: str) -> str:
        return self.git("show", f"{rev}:{name}")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return new_repo(tmp_path / "project")


def new_repo(path: Path) -> Repo:
    """A repository on `main` with two commits: README.md and app.py."""
    path.mkdir()
    made = Repo(path)
    made.git("init", "-q", "-b", "main")
    made.commit("README.md", "# project\n", "initial commit")
    made.commit("app.py", "print('hello')\n", "add the app")
    return made
