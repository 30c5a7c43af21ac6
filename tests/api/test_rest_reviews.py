"""Reviews over REST: ask for one, give the verdict, read a task's and a team's reviews, and the refusals."""

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


async def test_request_a_review_and_reject_over_rest(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    team = world.team.id
    task = await new_task(http, builder.key, team, "Add the login form")
    later = await new_task(http, builder.key, team, "Use the form", depends_on=[task["id"]])
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)

    asked = await created(http, f"/tasks/{task['id']}/review-request", builder.key, {"summary": "Done."})
    pending = await ok(http, "GET", f"/teams/{team}/reviews", critic.key, params={"status": "pending"})
    verdict = {"verdict": "reject", "summary": "Use the SDK.", "comments": ["auth.py: not like this"]}
    rejected = await ok(http, "POST", f"/tasks/{task['id']}/reviews", critic.key, json=verdict)
    history = await ok(http, "GET", f"/tasks/{task['id']}/reviews", builder.key)
    blocked = await ok(http, "GET", f"/tasks/{later['id']}", builder.key)

    assert asked["task"]["status"] == "in_review" and asked["review"]["reviewer"] == "critic"
    assert [r["id"] for r in pending["reviews"]] == [asked["review"]["id"]] and pending["count"] == 1
    assert rejected["task"]["status"] == "failed" and rejected["task"]["result"] == "Use the SDK."
    assert rejected["review"]["status"] == "rejected" and rejected["review"]["comments"] == ["auth.py: not like this"]
    assert history["reviews"] == [rejected["review"]]
    assert blocked["status"] == "blocked" and blocked["blocked_reason"] == f"dependency #{task['id']} failed"


async def test_an_approval_over_rest_merges_when_the_repository_asks(
    http: httpx.AsyncClient, world: World, repo: Repo
) -> None:
    builder = await world.agent("builder")
    await world.agent("critic", "reviewer")
    team = world.team.id
    body = {"name": "webapp", "path": str(repo.path), "merge_on_approve": True}
    await created(http, f"/teams/{team}/repositories", world.admin_key, body)
    task = await new_task(http, builder.key, team, "Add the bell icon")
    claimed = await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    repo.commit("bell.tsx", "export const Bell = 1\n", cwd=Path(claimed["worktree"]))
    await created(http, f"/tasks/{task['id']}/review-request", builder.key, {"reviewer": "critic"})

    approved = await ok(http, "POST", f"/tasks/{task['id']}/reviews", world.admin_key, json={"status": "approved"})

    assert approved["task"]["status"] == "done"
    assert approved["merge"]["merged"] is True and approved["merge"]["merge_commit"] == repo.head()
    assert repo.show("main", "bell.tsx") == "export const Bell = 1"


async def test_refusals_over_rest(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("critic", "reviewer")
    outsider = await (await world.other_team()).agent("outsider")
    team = world.team.id
    task = await new_task(http, builder.key, team)

    async def post(path: str, key: str, body: dict[str, object] | None = None) -> httpx.Response:
        return await http.post(f"{API}/tasks/{task['id']}/{path}", json=body, headers=auth(key))

    not_claimed = await post("review-request", builder.key)
    await ok(http, "POST", f"/tasks/{task['id']}/claim", builder.key)
    unknown_field = await post("review-request", builder.key, {"reviewer": "critic", "colour": "red"})
    hidden = await post("review-request", outsider.key)
    await created(http, f"/tasks/{task['id']}/review-request", builder.key, {})
    twice = await post("review-request", builder.key)
    own_work = await post("reviews", builder.key, {"verdict": "approve"})
    no_verdict = await post("reviews", builder.key, {})
    bad_status = await http.get(f"{API}/teams/{team}/reviews?status=maybe", headers=auth(builder.key))
    other_team = await http.get(f"{API}/teams/{team}/reviews", headers=auth(outsider.key))

    assert "only a claimed task" in error_of(not_claimed, 409, "conflict")["message"]
    assert unknown_field.status_code == 422
    error_of(hidden, 404, "not_found")
    assert "already in review" in error_of(twice, 409, "conflict")["message"]
    error_of(own_work, 403, "forbidden")
    assert no_verdict.status_code == 422
    error_of(bad_status, 422, "invalid_input")
    error_of(other_team, 404, "not_found")
