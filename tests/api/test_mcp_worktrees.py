"""Repositories, worktrees, diffs and merges through the MCP tools, with a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import World
from tests.worktrees.conftest import Repo, new_repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return new_repo(tmp_path / "project")


async def test_an_engineer_works_in_the_worktree_its_claim_names_and_the_manager_merges(
    app: HubApp, world: World, repo: Repo
) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as boss:
        registered = await call(boss, "register_repository", {"name": "webapp", "path": str(repo.path)})
        listed = await call(boss, "list_repositories")
        task = await call(boss, "create_task", {"title": "Build profile page component", "target": "builder"})
    async with mcp_client(app, builder.key) as client:
        claimed = await call(client, "claim_next")
        path = Path(claimed["task"]["worktree"])
        repo.commit("profile.tsx", "export const Profile = () => null\n", cwd=path)
        worktree = await call(client, "get_worktree", {"taskId": task["id"]})
        diff = await call(client, "get_task_diff", {"taskId": task["id"]})
        await call(client, "complete_task", {"taskId": task["id"], "result": "built"})
    async with mcp_client(app, manager.key) as boss:
        merged = await call(boss, "merge_task_branch", {"taskId": task["id"], "strategy": "squash"})

    assert registered["name"] == "webapp" and registered["base_branch"] == "main"
    assert listed["repositories"] == [registered]
    assert path == repo.path / ".worktrees" / f"task-{task['id']}-build-profile-page"
    assert worktree["branch"] == f"task/{task['id']}-build-profile-page"
    assert worktree["changed_files"] == [{"path": "profile.tsx", "status": "added"}]
    assert "+export const Profile" in diff["diff"] and diff["truncated"] is False
    assert merged["status"] == "merged" and merged["merge_commit"] == repo.head()
    assert (repo.path / "profile.tsx").exists()


async def test_engineers_may_not_register_repositories_or_merge_and_do_not_see_those_tools(
    app: HubApp, world: World, repo: Repo
) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        register = await refused(client, "register_repository", {"name": "webapp", "path": str(repo.path)})
        task = await call(client, "create_task", {"title": "x"})
        merge = await refused(client, "merge_task_branch", {"taskId": task["id"]})
        missing = await refused(client, "get_worktree", {"taskId": task["id"]})

    assert {"get_worktree", "get_task_diff", "list_repositories"} <= names
    assert not {"register_repository", "merge_task_branch"} & names
    assert register["code"] == "forbidden"
    assert merge["code"] == "forbidden"
    assert missing["code"] == "not_found"


async def test_a_merge_conflict_is_reported_with_its_files(app: HubApp, world: World, repo: Repo) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, world.admin_key) as admin:
        await call(admin, "register_repository", {"name": "webapp", "path": str(repo.path), "team_id": world.team.id})
    async with mcp_client(app, builder.key) as client:
        claimed = await call(
            client, "claim_task", {"taskId": (await call(client, "create_task", {"title": "t"}))["id"]}
        )
        repo.commit("app.py", "print('branch')\n", cwd=Path(claimed["worktree"]))
        await call(client, "complete_task", {"taskId": claimed["id"]})
    repo.commit("app.py", "print('main')\n")
    before = repo.head()
    async with mcp_client(app, world.admin_key) as admin:
        error = await refused(admin, "merge_task_branch", {"taskId": claimed["id"]})

    assert error["code"] == "conflict"
    assert error["details"]["files"] == ["app.py"]
    assert repo.head() == before and repo.status() == ""


async def test_another_teams_task_worktree_is_not_found(app: HubApp, world: World, repo: Repo) -> None:
    await world.hub.worktrees.register_repository(world.admin, world.team.id, "webapp", str(repo.path))
    builder = await world.agent("builder")
    outsider = await (await world.other_team()).manager()
    async with mcp_client(app, builder.key) as client:
        task = await call(client, "create_task", {"title": "ours"})
        await call(client, "claim_task", {"taskId": task["id"]})
    async with mcp_client(app, outsider.key) as client:
        for tool in ("get_worktree", "get_task_diff", "merge_task_branch"):
            assert (await refused(client, tool, {"taskId": task["id"]}))["code"] == "not_found"
