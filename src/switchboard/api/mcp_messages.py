"""MCP tools for messages between agents, and for the groups that messages (and tasks) can be aimed at."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import (
    DESTRUCTIVE,
    IDEMPOTENT_WRITE,
    READ_ONLY,
    WRITE,
    TeamId,
    answer,
    answer_waiting,
    principal_of,
)
from switchboard.api.mcp_tasks import WaitSeconds
from switchboard.api.shapes import group_json
from switchboard.hub import Hub
from switchboard.messages.models import HistoryQuery, InboxQuery, MessageDraft

MessageTypeName = Annotated[
    str | None,
    Field(description="STATUS, DIRECTIVE, QUESTION, RESULT, ACK, PING, PONG, QUERY or HANDSHAKE."),
]
MessagePriorityName = Annotated[str | int | None, Field(description="low, normal or high.")]
MessageIds = Annotated[list[int], Field(description="Ids of messages delivered to you.", min_length=1)]
Members = Annotated[list[str | int], Field(description="Agents by name (`builder`) or id.")]
GroupName = Annotated[str, Field(description="The group's name, e.g. `builders`.")]

GET_MESSAGES_DESCRIPTION = (
    "Read your inbox: the messages delivered to you that you have not read yet, high priority first, then oldest "
    "first, and mark them read (pass mark_as_read=false to only peek). Call it when you start a session, between "
    "steps of your work, and whenever you are told a message is waiting; a direct message, a message to a group "
    "you are in, to your @role or to `all` all land here. Give `session_id` (your working session's name) to "
    "record that you are alive in it. Filter with `message_type` / `priority`; `include_read` also lists messages "
    "you already read, after the unread ones. Returns "
    '{"messages": [{id, sender, target, message_type, priority, body, thread_id, reply_to, task_id, created_at, '
    'read_at}, ...], "count", "unread_remaining"} where unread_remaining says how many unread ones are still '
    "waiting beyond this page. Reply with send_message(target=<sender>, reply_to=<id>). With `wait_seconds` "
    "(up to 300) an empty inbox waits: the call returns as soon as a message arrives, or empty when the time is up. "
    "An admin key has no inbox and is refused."
)


def register_messages_tools(server: MCPServer, hub: Hub) -> None:
    _register_sending(server, hub)
    _register_reading(server, hub)
    _register_groups(server, hub)


def _register_sending(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Send a message",
        annotations=WRITE,
        description=(
            "Send a message from you to an agent (`reviewer`, or its id), a group (`builders`), a role "
            "(`@engineer`) or `all` (everyone in your team but you). Each recipient gets its own copy with its own "
            "read state, delivered now; agents who join a group later do not receive earlier messages. Use "
            "messages for status, questions and coordination; use tasks for work someone must do. `message_type` "
            "says what kind of note it is (default STATUS); `priority` low, normal (default) or high puts it "
            "higher in the recipients' inboxes. Link it with `reply_to` (a message you received or sent: the reply "
            "joins its thread), `thread_id` or `task_id`. Returns the stored message with its `id`, `thread_id` "
            "and `recipients` (how many got it). Errors: an unknown target (nothing is sent), a group with nobody "
            "in it but you, a `source` that is not you (you cannot send as someone else), a body over 64 KiB."
        ),
    )
    async def send_message(
        target: Annotated[
            str | int,
            Field(description="An agent's name or id, a group, a role as `@role`, or `all`. Unknown names fail."),
        ],
        message: Annotated[str, Field(description="The text to send (at most 64 KiB).")],
        ctx: Context,
        message_type: MessageTypeName = None,
        priority: MessagePriorityName = None,
        source: Annotated[
            str | None,
            Field(description="Optional: your own name. Messages are always sent as you; another name is refused."),
        ] = None,
        thread_id: Annotated[int | None, Field(description="The thread this message continues.")] = None,
        reply_to: Annotated[
            int | None, Field(description="The id of the message you answer; the reply joins its thread.")
        ] = None,
        task_id: Annotated[int | None, Field(description="A task of your team the message is about.")] = None,
        idempotency_key: Annotated[
            str | None,
            Field(
                description=(
                    "Any string unique to this message. Repeating the call with the same key and arguments returns "
                    "the first message instead of sending it twice; the same key with other arguments is a conflict."
                )
            ),
        ] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            draft = MessageDraft(
                target=target,
                message=message,
                message_type=message_type,
                priority=priority,
                source=source,
                thread_id=thread_id,
                reply_to=reply_to,
                task_id=task_id,
            )
            sent = await hub.messages.send_message(principal_of(ctx), draft, team_id, idempotency_key)
            return sent.to_json()

        return await answer(run())


def _register_reading(server: MCPServer, hub: Hub) -> None:
    async def read_inbox(
        ctx: Context,
        session_id: Annotated[
            str | None, Field(description="Your working session's name, e.g. `reviewer-session-1`.")
        ] = None,
        mark_as_read: Annotated[
            bool, Field(description="Mark what is returned as read (default true); false only peeks.")
        ] = True,
        include_read: Annotated[bool, Field(description="Also list messages already read, after unread.")] = False,
        limit: Annotated[int, Field(description="At most this many messages (1-500, default 50).")] = 50,
        message_type: MessageTypeName = None,
        priority: MessagePriorityName = None,
        wait_seconds: WaitSeconds = 0,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            query = InboxQuery(limit, include_read, mark_as_read, message_type, priority)
            return (await hub.messages.get_messages(principal_of(ctx), query, session_id, wait_seconds)).to_json()

        return await answer_waiting(ctx, run(), wait_seconds)

    # One call under both seeds' names: CacheBash's get_messages and Entourage's get_inbox.
    for name, title, note in (
        ("get_messages", "Read your messages", ""),
        ("get_inbox", "Read your inbox", " The same call as get_messages, under Entourage's name."),
    ):
        server.tool(name=name, title=title, annotations=WRITE, description=GET_MESSAGES_DESCRIPTION + note)(read_inbox)

    @server.tool(
        title="Mark messages read",
        annotations=IDEMPOTENT_WRITE,
        description=(
            "Mark messages in your inbox as read, e.g. after peeking with get_messages(mark_as_read=false). Returns "
            '{"message_ids": [...], "newly_read": [...]} (those that were still unread). An id that is not a '
            "message delivered to you is refused as not found, and then nothing is marked."
        ),
    )
    async def mark_read(message_ids: MessageIds, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.messages.mark_read(principal_of(ctx), message_ids)).to_json()

        return await answer(run())

    @server.tool(
        title="List messages you sent",
        annotations=READ_ONLY,
        description=(
            "The messages you sent, newest first, each with `recipients` (how many got it) and `read_count` (how "
            "many of them have read it): your read receipts. For one message's receipt per recipient, use "
            'get_message. Returns {"messages": [...], "next_cursor"}; pass next_cursor as `before_id` for older ones.'
        ),
    )
    async def get_sent_messages(
        ctx: Context,
        limit: Annotated[int, Field(description="At most this many (1-500, default 50).")] = 50,
        message_type: MessageTypeName = None,
        before_id: Annotated[int | None, Field(description="Only messages older than this id.")] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            page = await hub.messages.get_sent_messages(principal_of(ctx), limit, message_type, before_id, team_id)
            return page.to_json()

        return await answer(run())

    @server.tool(
        title="Read one message",
        annotations=READ_ONLY,
        description=(
            "One message you sent or received, by id, without marking it read. If you sent it, `receipts` lists "
            "each recipient and when it read the message (null: not yet). A message you neither sent nor received "
            "is not found."
        ),
    )
    async def get_message(
        message_id: Annotated[int, Field(description="The message's id.")], ctx: Context
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.messages.get_message(principal_of(ctx), message_id)).to_json()

        return await answer(run())

    @server.tool(
        title="Search your message history",
        annotations=READ_ONLY,
        description=(
            "Messages you sent or received, oldest first, read or not (nothing is marked read): a whole "
            "conversation with `thread_id`, everything between you and one agent with `peer`, one `message_type`, "
            "or a time range with `since` / `until` (ISO 8601). Use it to recall what was agreed before acting. "
            'Returns {"messages": [...], "next_cursor"}; pass next_cursor as `after_id` for the next page. You '
            "never see messages between other agents."
        ),
    )
    async def query_message_history(
        ctx: Context,
        thread_id: Annotated[int | None, Field(description="Only this thread.")] = None,
        peer: Annotated[
            str | int | None, Field(description="Only messages between you and this agent (name or id).")
        ] = None,
        message_type: MessageTypeName = None,
        since: Annotated[datetime | None, Field(description="Sent at or after this time.")] = None,
        until: Annotated[datetime | None, Field(description="Sent before this time.")] = None,
        after_id: Annotated[int | None, Field(description="Only messages after this id (paging).")] = None,
        limit: Annotated[int, Field(description="At most this many (1-500, default 100).")] = 100,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            query = HistoryQuery(thread_id, peer, message_type, since, until, after_id, limit)
            return (await hub.messages.query_message_history(principal_of(ctx), query, team_id)).to_json()

        return await answer(run())


def _register_groups(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="List groups",
        annotations=READ_ONLY,
        description=(
            "Your team's groups with their members: `all` (every agent), `council` (decision makers), `builders` "
            "(code execution), `intelligence` (research) and any the team created. A group's name is a target for "
            'send_message and create_task: everyone in it receives the message. Returns {"groups": [{name, '
            "description, members}, ...]}."
        ),
    )
    async def list_groups(ctx: Context, team_id: TeamId = None) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            return {"groups": [group_json(g) for g in await hub.teams.list_groups(principal, team.id)]}

        return await answer(run())

    @server.tool(
        title="Create a group",
        annotations=WRITE,
        description=(
            "Create a group for multicast, optionally with its first members (managers and admins only). The name "
            "follows agent-name rules, may not be `all` and may not be an agent's name. Returns the group with its "
            "members. Errors: the name is taken (conflict), an unknown member, or you are not a manager."
        ),
    )
    async def create_group(
        name: GroupName,
        ctx: Context,
        description: Annotated[str | None, Field(description="What the group is for.")] = None,
        members: Annotated[list[str | int] | None, Field(description="Agents (names or ids) to put in it.")] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            return group_json(await hub.teams.create_group(principal, team.id, name, description, members or []))

        return await answer(run())

    @server.tool(
        title="Add agents to a group",
        annotations=IDEMPOTENT_WRITE,
        description=(
            "Put agents into a group (managers and admins only); agents already in it are left as they are. They "
            "receive the group's messages sent from now on. An agent cannot put itself into a group. `all` cannot "
            "be changed. Returns the group with its members."
        ),
    )
    async def add_group_members(
        group: GroupName, members: Members, ctx: Context, team_id: TeamId = None
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            return group_json(await hub.teams.add_group_members(principal, team.id, group, members))

        return await answer(run())

    @server.tool(
        title="Remove agents from a group",
        annotations=DESTRUCTIVE,
        description=(
            "Take agents out of a group (managers and admins only); they stop receiving its messages. Agents not "
            "in it are ignored. `all` cannot be changed. Returns the group with its remaining members."
        ),
    )
    async def remove_group_members(
        group: GroupName, members: Members, ctx: Context, team_id: TeamId = None
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            return group_json(await hub.teams.remove_group_members(principal, team.id, group, members))

        return await answer(run())
