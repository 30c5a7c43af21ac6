"""Messages and groups through the MCP tools, including the CacheBash seed's calls exactly as written."""

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import World

GROUP_WRITERS = {"create_group", "add_group_members", "remove_group_members"}
MESSAGE_TOOLS = {
    "send_message",
    "get_messages",
    "get_inbox",
    "get_sent_messages",
    "get_message",
    "query_message_history",
    "mark_read",
    "list_groups",
}


async def test_the_seeds_direct_message_reaches_the_reviewer_who_checks_with_a_session_id(
    app: HubApp, world: World
) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    async with mcp_client(app, builder.key) as client:
        sent = await call(
            client,
            "send_message",
            {
                "source": "builder",
                "target": "reviewer",
                "message_type": "STATUS",
                "message": "PR #42 ready for review — added /api/users endpoint with tests",
                "priority": "normal",
            },
        )
    async with mcp_client(app, reviewer.key) as client:
        inbox = await call(client, "get_messages", {"sessionId": "reviewer-session-1"})
        again = await call(client, "get_messages", {"sessionId": "reviewer-session-1"})
        reply = await call(
            client, "send_message", {"target": "builder", "message": "PR #42 approved — merge when ready"}
        )
    assert (sent["sender"], sent["target"], sent["message_type"], sent["priority"]) == (
        "builder",
        "reviewer",
        "STATUS",
        "normal",
    )
    assert [(m["id"], m["sender"], m["body"]) for m in inbox["messages"]] == [
        (sent["id"], "builder", "PR #42 ready for review — added /api/users endpoint with tests")
    ]
    assert inbox["messages"][0]["read_at"] is not None
    assert (again["messages"], again["unread_remaining"]) == ([], 0)
    assert reply["sender"] == "reviewer"
    sessions = await world.hub.teams.list_agents(world.admin, world.team.id)
    assert {v.agent.name: v.status.value for v in sessions}["reviewer"] == "idle"


async def test_the_seeds_multicast_to_builders_reaches_each_member_with_its_own_read_state(
    app: HubApp, world: World
) -> None:
    architect = await world.agent("architect", role="architect")
    one = await world.agent("builder-1")
    two = await world.agent("builder-2")
    async with mcp_client(app, architect.key) as client:
        sent = await call(
            client,
            "send_message",
            {
                "source": "architect",
                "target": "builders",
                "message_type": "DIRECTIVE",
                "message": "New feature branch created: feature/user-management. All user management work goes on "
                "this branch.",
            },
        )
        groups = await call(client, "list_groups", {})
    async with mcp_client(app, one.key) as client:
        first = await call(client, "get_inbox", {})
    async with mcp_client(app, two.key) as client:
        peek = await call(client, "get_messages", {"markAsRead": False})
        later = await call(client, "get_messages", {})
    assert (sent["target"], sent["target_kind"], sent["recipients"], sent["priority"]) == (
        "builders",
        "group",
        2,
        "normal",
    )
    assert {g["name"]: g["members"] for g in groups["groups"]}["builders"] == ["builder-1", "builder-2"]
    assert [g["name"] for g in groups["groups"]][:1] == ["all"]
    assert [m["id"] for m in first["messages"]] == [sent["id"]]
    assert [m["read_at"] for m in peek["messages"]] == [None]
    assert [m["id"] for m in later["messages"]] == [sent["id"]]


async def test_a_spoofed_source_is_refused_and_nothing_is_delivered(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    async with mcp_client(app, builder.key) as client:
        error = await refused(
            client, "send_message", {"source": "manager", "target": "reviewer", "message": "merge it now"}
        )
    async with mcp_client(app, reviewer.key) as client:
        inbox = await call(client, "get_messages", {})
    assert error["code"] == "forbidden"
    assert "'manager' is not you" in error["message"]
    assert inbox["messages"] == []


async def test_a_message_to_an_unknown_target_is_refused_and_nothing_is_stored(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        error = await refused(client, "send_message", {"target": "reviewr", "message": "typo"})
        sent = await call(client, "get_sent_messages", {})
    assert error["code"] == "invalid_input"
    assert "reviewr" in error["message"]
    assert sent["messages"] == []


async def test_another_agents_messages_cannot_be_read(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("reviewer", role="reviewer")
    snoop = await world.agent("snoop", role="analyst")
    async with mcp_client(app, builder.key) as client:
        private = await call(client, "send_message", {"target": "reviewer", "message": "between us"})
    async with mcp_client(app, snoop.key) as client:
        fetched = await refused(client, "get_message", {"message_id": private["id"]})
        marked = await refused(client, "mark_read", {"message_ids": [private["id"]]})
        history = await call(client, "query_message_history", {"thread_id": private["thread_id"]})
        with_builder = await call(client, "query_message_history", {"peer": "builder"})
    assert (fetched["code"], marked["code"]) == ("not_found", "not_found")
    assert history["messages"] == with_builder["messages"] == []


async def test_replies_threads_receipts_and_history_through_the_tools(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    async with mcp_client(app, builder.key) as client:
        question = await call(
            client, "send_message", {"target": "reviewer", "message": "ready?", "messageType": "question"}
        )
    async with mcp_client(app, reviewer.key) as client:
        peek = await call(client, "get_messages", {"mark_as_read": False})
        await call(client, "mark_read", {"message_ids": [question["id"]]})
        answer = await call(
            client,
            "send_message",
            {"target": "builder", "message": "yes", "replyTo": question["id"], "messageType": "RESULT"},
        )
    async with mcp_client(app, builder.key) as client:
        receipt = await call(client, "get_message", {"messageId": question["id"]})
        thread = await call(client, "query_message_history", {"threadId": question["thread_id"]})
        sent = await call(client, "get_sent_messages", {})
        inbox = await call(client, "get_messages", {"message_type": "RESULT", "priority": "normal"})
    assert peek["messages"][0]["message_type"] == "QUESTION"
    assert answer["thread_id"] == question["id"] and answer["reply_to"] == question["id"]
    assert [(r["agent"], r["read_at"] is not None) for r in receipt["receipts"]] == [("reviewer", True)]
    assert [m["body"] for m in thread["messages"]] == ["ready?", "yes"]
    assert [(m["body"], m["read_count"]) for m in sent["messages"]] == [("ready?", 1)]
    assert [m["body"] for m in inbox["messages"]] == ["yes"]


async def test_an_idempotency_key_sends_once(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("reviewer", role="reviewer")
    arguments = {"target": "reviewer", "message": "once", "idempotencyKey": "deploy-42"}
    async with mcp_client(app, builder.key) as client:
        first = await call(client, "send_message", arguments)
        again = await call(client, "send_message", arguments)
        conflict = await refused(client, "send_message", {**arguments, "message": "twice"})
    assert first["id"] == again["id"]
    assert conflict["code"] == "conflict"


async def test_an_agent_cannot_join_a_group_but_a_manager_can_change_groups(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, builder.key) as client:
        error = await refused(client, "add_group_members", {"group": "council", "members": ["builder"]})
    async with mcp_client(app, manager.key) as client:
        created = await call(client, "create_group", {"name": "release", "members": ["builder"]})
        added = await call(client, "add_group_members", {"group": "release", "members": ["manager"]})
        removed = await call(client, "remove_group_members", {"group": "release", "members": ["builder"]})
        groups = await call(client, "list_groups")
    assert error["code"] == "forbidden"
    assert "cannot put yourself into group 'council'" in error["message"]
    assert created["members"] == ["builder"]
    assert added["members"] == ["builder", "manager"]
    assert removed["members"] == ["manager"]
    assert {g["name"]: g["members"] for g in groups["groups"]}["council"] == ["manager"]


async def test_only_managers_and_admins_see_the_tools_that_change_groups(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, builder.key) as client:
        engineer_tools = {t.name: t for t in (await client.list_tools()).tools}
    async with mcp_client(app, manager.key) as client:
        manager_tools = {t.name for t in (await client.list_tools()).tools}
    assert set(engineer_tools) >= MESSAGE_TOOLS
    assert not GROUP_WRITERS & set(engineer_tools)
    assert manager_tools >= GROUP_WRITERS | MESSAGE_TOOLS
    inbox_schema = engineer_tools["get_inbox"].input_schema["properties"]
    assert {"session_id", "mark_as_read", "include_read", "limit"} <= set(inbox_schema)
    assert engineer_tools["get_sent_messages"].annotations.read_only_hint is True  # type: ignore[union-attr]


async def test_an_admin_messages_an_agent_and_has_no_inbox(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, world.admin_key) as client:
        sent = await call(
            client, "send_message", {"target": "builder", "message": "from a person", "teamId": world.team.id}
        )
        spoof = await refused(
            client, "send_message", {"target": "builder", "message": "x", "source": "builder", "team_id": world.team.id}
        )
        inbox = await refused(client, "get_messages", {})
    assert sent["sender"].startswith("admin:")
    assert spoof["code"] == inbox["code"] == "forbidden"
    async with mcp_client(app, builder.key) as client:
        assert [m["body"] for m in (await call(client, "get_inbox"))["messages"]] == ["from a person"]
