"""Reviews through the MCP tools: an engineer asks, a reviewer finds the request and gives its verdict."""

from __future__ import annotations

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import World

COMMENT = {"file": "login.tsx", "line": 12, "body": "Handle the empty password."}


async def test_an_engineer_asks_for_review_and_the_reviewer_requests_changes_then_approves(
    app: HubApp, world: World
) -> None:
    builder = await world.agent("builder")
    critic = await world.agent("critic", "reviewer")
    async with mcp_client(app, builder.key) as engineer:
        task = await call(engineer, "create_task", {"title": "Add the login form"})
        claimed = await call(engineer, "claim_task", {"taskId": task["id"]})
        asked = await call(
            engineer, "request_review", {"taskId": task["id"], "summary": "Form and tests.", "attempt": 1}
        )
    async with mcp_client(app, critic.key) as reviewer:
        queue = await call(reviewer, "list_reviews")
        note = await call(reviewer, "get_messages")
        changes = await call(
            reviewer,
            "submit_review",
            {"taskId": task["id"], "verdict": "request_changes", "summary": "Close.", "comments": [COMMENT, "Nit."]},
        )
    async with mcp_client(app, builder.key) as engineer:
        told = await call(engineer, "get_messages")
        history = await call(engineer, "list_reviews", {"taskId": task["id"]})
        await call(engineer, "request_review", {"taskId": task["id"], "reviewer": "critic"})
    async with mcp_client(app, critic.key) as reviewer:
        approved = await call(reviewer, "submit_review", {"taskId": task["id"], "verdict": "approve"})
        left = await call(reviewer, "list_reviews")

    assert asked["task"]["status"] == "in_review" and asked["task"]["lease_expires_at"] is None
    assert asked["review"]["reviewer"] == "critic" and asked["review"]["status"] == "pending"
    assert [r["task_id"] for r in queue["reviews"]] == [task["id"]] and queue["count"] == 1
    assert [m["message_type"] for m in note["messages"]] == ["DIRECTIVE"]
    assert changes["task"]["status"] == "claimed" and changes["task"]["attempt"] == claimed["attempt"]
    assert changes["review"]["comments"] == [COMMENT, "Nit."]
    [message] = told["messages"]
    assert "login.tsx:12: Handle the empty password." in message["body"] and "Nit." in message["body"]
    assert [r["status"] for r in history["reviews"]] == ["changes_requested"]
    assert approved["task"]["status"] == "done" and approved["review"]["status"] == "approved"
    assert "merge" not in approved
    assert left == {"reviews": [], "count": 0}


async def test_review_tools_are_listed_for_every_agent_with_annotations(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}

    for name in ("request_review", "submit_review", "list_reviews"):
        assert name in tools and tools[name].description
    assert tools["list_reviews"].annotations is not None and tools["list_reviews"].annotations.read_only_hint
    for name in ("request_review", "submit_review"):
        annotations = tools[name].annotations
        assert annotations is not None and not annotations.read_only_hint and not annotations.idempotent_hint


async def test_refusals_come_back_as_tool_errors(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    other = await world.agent("other", "reviewer")
    await world.agent("critic", "reviewer")
    async with mcp_client(app, builder.key) as engineer:
        task = await call(engineer, "create_task", {"title": "Add the login form"})
        not_claimed = await refused(engineer, "request_review", {"taskId": task["id"]})
        await call(engineer, "claim_task", {"taskId": task["id"]})
        unknown = await refused(engineer, "request_review", {"taskId": task["id"], "reviewer": "nobody"})
        await call(engineer, "request_review", {"taskId": task["id"], "reviewer": "critic"})
        again = await refused(engineer, "request_review", {"taskId": task["id"]})
    async with mcp_client(app, other.key) as reviewer:
        not_mine = await refused(reviewer, "submit_review", {"taskId": task["id"], "verdict": "approve"})
        bad_verdict = await refused(reviewer, "submit_review", {"taskId": task["id"], "verdict": "lgtm"})
        everyone = await call(reviewer, "list_reviews", {"reviewer": "all"})

    assert not_claimed["code"] == "conflict" and "only a claimed task" in not_claimed["message"]
    assert unknown["code"] == "invalid_input"
    assert again["code"] == "conflict" and "already in review by critic" in again["message"]
    assert not_mine["code"] == "forbidden"
    assert bad_verdict["code"] == "invalid_input"
    assert [r["reviewer"] for r in everyone["reviews"]] == ["critic"]
