"""Repositories, worktrees, diffs and merges over REST, with a real git repository."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.api.rest_helpers import API, created, error_of, new_task, ok
from tests.conftest import World, auth
from tests.worktrees.conftest import Repo, new_repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return new_repo(tmp_path / "project")


async def test_register_claim_diff_and_merge_over_rest(http: httpx.AsyncClient, world: World, repo: Repo) -> None:
    builder = await world.agent("builder")
    team = world.team.id
    registered = await created(
        http, f"/teams/{team}/repositories", world.admin_key, {"name": "webapp", "path": str(repo.path)}
    )
    listed = await ok(http, "GET", f"/teams/{team}/repositories", builder.key)
    task = await new_task(http, builder.key, team, "Create GET/PATCH /api/v1/users/me endpoint")
    claimed = await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    repo.commit("users.py", "def me(): ...\n", cwd=Path(claimed["worktree"]))
    worktree = await ok(http, "GET", f"/tasks/{task['id']}/worktree", builder.key)
    diff = await ok(http, "GET", f"/tasks/{task['id']}/diff", builder.key)
    files = await ok(http, "GET", f"/tasks/{task['id']}/diff", builder.key, params={"files_only": "true"})
    await ok(http, "POST", f"/tasks/{task['id']}/complete", builder.key, json={"completed_status": "SUCCESS"})
    merged = await ok(http, "POST", f"/tasks/{task['id']}/merge", world.admin_key, json={"strategy": "rebase"})
    after = await ok(http, "GET", f"/tasks/{task['id']}", builder.key)

    assert listed == {"repositories": [registered]}
    assert claimed["worktree"] == str(repo.path / ".worktrees" / f"task-{task['id']}-create-get-patch")
    assert worktree["branch"] == f"task/{task['id']}-create-get-patch"
    assert worktree["changed_files"] == [{"path": "users.py", "status": "added"}]
    assert "+def me(): ..." in diff["diff"]
    assert "diff" not in files and files["changed_files"] == worktree["changed_files"]
    assert merged["status"] == "merged" and merged["merge_commit"] == repo.head()
    assert after["worktree"] is None
    assert repo.show("main", "users.py") == "def me(): ..."


async def test_refusals_over_rest(http: httpx.AsyncClient, world: World, repo: Repo, tmp_path: Path) -> None:
    builder = await world.agent("builder")
    team = world.team.id
    body = {"name": "webapp", "path": str(repo.path)}
    forbidden = await http.post(f"{API}/teams/{team}/repositories", json=body, headers=auth(builder.key))
    not_git = await http.post(
        f"{API}/teams/{team}/repositories", json={**body, "path": str(tmp_path)}, headers=auth(world.admin_key)
    )
    unknown_field = await http.post(
        f"{API}/teams/{team}/repositories", json={**body, "colour": "red"}, headers=auth(world.admin_key)
    )
    await created(http, f"/teams/{team}/repositories", world.admin_key, body)
    task = await new_task(http, builder.key, team)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    outsider = await (await world.other_team()).manager()
    hidden = await http.get(f"{API}/tasks/{task['id']}/worktree", headers=auth(outsider.key))
    other_team = await http.get(f"{API}/teams/{team}/repositories", headers=auth(outsider.key))
    merge_by_engineer = await http.post(f"{API}/tasks/{task['id']}/merge", headers=auth(builder.key))
    still_claimed = await http.post(f"{API}/tasks/{task['id']}/merge", headers=auth(world.admin_key))

    error_of(forbidden, 403, "forbidden")
    error_of(not_git, 422, "invalid_input")
    error_of(unknown_field, 422, "invalid_input")
    error_of(hidden, 404, "not_found")
    error_of(other_team, 404, "not_found")
    error_of(merge_by_engineer, 403, "forbidden")
    error_of(still_claimed, 409, "conflict")
