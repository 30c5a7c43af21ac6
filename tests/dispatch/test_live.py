"""Real hub processes (`switchboard serve`, dispatcher inside) running the scripted agent program as the runner
of their agents: it speaks MCP to the hub, works in the task's git worktree, commits, and completes."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from switchboard.client import HubClient
from tests.conftest import database_of_its_own
from tests.live_hub import BACKEND_PARAMS, LiveHub, serving

AGENT = f"{sys.executable} -m switchboard.demo.agent"
WAIT_SECONDS = 60.0


def new_repo(path: Path) -> Path:
    path.mkdir()
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "t@t"), ("config", "user.name", "t")):
        subprocess.run(["git", *args], cwd=path, check=True)
    (path / "README.md").write_text("# app\n")
    subprocess.run(["git", "add", "."], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "start"], cwd=path, check=True)
    return path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def team_with_engineers(admin: HubClient, names: list[str]) -> dict[str, Any]:
    org = admin.get("/orgs")["orgs"][0]["id"]
    team: dict[str, Any] = admin.post(f"/orgs/{org}/teams", {"name": f"Live {time.monotonic_ns()}"})
    for name in names:
        admin.post(f"/teams/{team['id']}/agents", {"name": name, "config": {"runner": {"command": AGENT}}})
    return team


def eventually(check: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
    """For a hub in another process: check until true (a short pause between checks), or fail at the timeout."""
    deadline = time.monotonic() + timeout
    while (found := check()) in (None, False, [], {}):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


@pytest.fixture(params=BACKEND_PARAMS, scope="module")
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    backend: str = request.param
    database = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    with serving(tmp_path_factory.mktemp(f"dispatch-{backend}"), database, backend) as hub:
        yield hub


def test_a_scripted_agent_claims_commits_in_its_worktree_and_completes(live: LiveHub, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "app")
    with HubClient(live.url, live.admin_key) as admin:
        team = team_with_engineers(admin, ["eng-backend"])
        admin.post(f"/teams/{team['id']}/repositories", {"name": "app", "path": str(repo)})
        task = admin.post(
            f"/teams/{team['id']}/tasks",
            {
                "title": "Design notification schema",
                "instructions": "file: db/notifications.sql",
                "target": "eng-backend",
            },
        )
        waited = admin.post("/tasks/wait", {"task_ids": [task["id"]], "timeout_seconds": WAIT_SECONDS})
        turns = eventually(lambda: [t for t in admin.get(f"/tasks/{task['id']}/turns")["turns"] if t["ended_at"]])
        worktree = admin.get(f"/tasks/{task['id']}/worktree")
        diff = admin.get(f"/tasks/{task['id']}/diff")

    assert waited["done"] and waited["tasks"][0]["status"] == "done"
    (turn,) = turns
    assert turn["status"] == "succeeded" and turn["agent"] == "eng-backend" and turn["trigger"] == "task_ready"
    # The work is a commit on the task's own branch, by the agent; the worktree is gone now the task is done.
    log = git(repo, "log", "--format=%an %s", worktree["branch"])
    assert log.splitlines()[0] == f"eng-backend Design notification schema (task #{task['id']})"
    assert "Design notification schema" in git(repo, "show", f"{worktree['branch']}:db/notifications.sql")
    assert [f["path"] for f in diff["changed_files"]] == ["db/notifications.sql"]
    assert worktree["status"] == "removed" and not Path(worktree["path"]).exists()
    assert git(repo, "log", "--format=%s", "main").splitlines() == ["start"]


@pytest.fixture
def own_postgres(postgres_url: str) -> Iterator[str]:
    """A database of its own: every hub on the session's shared database would dispatch this test's agents too."""
    with database_of_its_own(postgres_url, "two_hubs") as url:
        yield url


@pytest.mark.postgres
def test_two_hub_processes_never_run_two_turns_of_one_agent_nor_two_for_one_task(
    own_postgres: str, tmp_path: Path
) -> None:
    postgres_url = own_postgres
    names = [f"eng-{i}" for i in range(4)]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with (
        serving(tmp_path / "one", postgres_url, "postgres") as one,
        serving(tmp_path / "two", postgres_url, "postgres") as two,
        HubClient(one.url, one.admin_key) as via_one,
        HubClient(two.url, one.admin_key) as via_two,
    ):
        team = team_with_engineers(via_one, names)
        drafts = [(f"task {n} of {name}", name) for n in range(2) for name in names]

        def create(index: int) -> int:
            client = via_one if index % 2 else via_two
            title, target = drafts[index]
            return int(client.post(f"/teams/{team['id']}/tasks", {"title": title, "target": target})["id"])

        with ThreadPoolExecutor(8) as pool:
            task_ids = list(pool.map(create, range(len(drafts))))
        waited = via_one.post("/tasks/wait", {"task_ids": task_ids, "timeout_seconds": WAIT_SECONDS})
        assert waited["done"], waited

        def all_ended() -> list[dict[str, Any]]:
            turns: list[dict[str, Any]] = via_two.get(f"/teams/{team['id']}/turns", limit=200)["turns"]
            return turns if all(t["ended_at"] for t in turns) else []

        turns = eventually(all_ended)

    assert {t["status"] for t in waited["tasks"]} == {"done"}
    assert len({t["hub_id"] for t in turns}) == 2, "both hubs dispatched"
    keys = [k["key"] for t in turns for k in t["triggers"]]
    assert len(keys) == len(set(keys))
    task_turns = [t for t in turns if t["trigger"] == "task_ready"]
    assert sorted(t["task_id"] for t in task_turns) == sorted(task_ids)
    for name in names:
        mine = sorted((t for t in turns if t["agent"] == name), key=lambda t: t["started_at"])
        for before, after in itertools.pairwise(mine):
            assert before["ended_at"] <= after["started_at"], (before, after)
