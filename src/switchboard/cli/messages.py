"""The `message` commands: send, read the inbox, list what was sent, and search the history."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from switchboard.cli._common import (
    JsonOption,
    KeyOption,
    TeamOption,
    UrlOption,
    hub_session,
    print_json,
    report,
    resolve_team,
    say,
    table,
)
from switchboard.client import DEFAULT_URL

message_app = typer.Typer(help="Messages: send, inbox, sent, history.", no_args_is_help=True)


class MessageType(StrEnum):
    STATUS = "STATUS"
    DIRECTIVE = "DIRECTIVE"
    QUESTION = "QUESTION"
    RESULT = "RESULT"
    ACK = "ACK"
    PING = "PING"
    PONG = "PONG"
    QUERY = "QUERY"
    HANDSHAKE = "HANDSHAKE"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


TypeOption = Annotated[MessageType | None, typer.Option("--type", case_sensitive=False, help="The message type.")]
PriorityOption = Annotated[Priority | None, typer.Option(case_sensitive=False, help="low, normal or high.")]
LimitOption = Annotated[int | None, typer.Option(help="At most this many.")]


def register(app: typer.Typer) -> None:
    app.add_typer(message_app, name="message")


@message_app.command("send")
def message_send(
    target: Annotated[str, typer.Argument(help="An agent (name or id), a group, @role, or all.")],
    text: Annotated[str, typer.Argument(help="The message.")],
    team: TeamOption = None,
    message_type: TypeOption = None,
    priority: PriorityOption = None,
    thread: Annotated[int | None, typer.Option(help="The thread it continues.")] = None,
    reply_to: Annotated[int | None, typer.Option("--reply-to", help="The message it answers.")] = None,
    task: Annotated[int | None, typer.Option(help="A task it is about.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send a message as the key's agent (or, with an admin key, as a person)."""
    body: dict[str, Any] = {"target": target, "message": text}
    optional = {
        "message_type": message_type.value if message_type else None,
        "priority": priority.value if priority else None,
        "thread_id": thread,
        "reply_to": reply_to,
        "task_id": task,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    with hub_session(url, key) as client:
        answer = client.post(f"/teams/{resolve_team(client, team)}/messages", body)
    count = answer["recipients"]
    report(
        answer, as_json, f"sent message #{answer['id']} to {answer['target']} ({count} recipient{'s' * (count != 1)})"
    )


@message_app.command("inbox")
def message_inbox(
    peek: Annotated[bool, typer.Option("--peek", help="Leave the messages unread.")] = False,
    include_read: Annotated[bool, typer.Option("--all", help="Also list messages already read.")] = False,
    message_type: TypeOption = None,
    priority: PriorityOption = None,
    limit: LimitOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Your unread messages, high priority first; they are marked read unless --peek."""
    params = {
        "mark_as_read": "false" if peek else None,
        "include_read": "true" if include_read else None,
        "message_type": message_type.value if message_type else None,
        "priority": priority.value if priority else None,
        "limit": limit,
    }
    with hub_session(url, key) as client:
        answer = client.get("/messages/inbox", **params)
    if as_json:
        print_json(answer)
        return
    if not answer["messages"]:
        say("no unread messages")
        return
    _messages_table("inbox", answer["messages"])
    if answer["unread_remaining"]:
        say(f"{answer['unread_remaining']} more unread")


@message_app.command("sent")
def message_sent(
    team: TeamOption = None,
    limit: LimitOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """What you sent, newest first, with how many recipients have read each."""
    with hub_session(url, key) as client:
        answer = client.get("/messages/sent", team_id=team, limit=limit)
    if as_json:
        print_json(answer)
        return
    rows = [
        (m["id"], m["created_at"], m["target"], m["message_type"], f"{m['read_count']}/{m['recipients']}", m["body"])
        for m in answer["messages"]
    ]
    table("sent", ["id", "at", "to", "type", "read", "body"], rows)


@message_app.command("history")
def message_history(
    team: TeamOption = None,
    thread: Annotated[int | None, typer.Option(help="Only this thread.")] = None,
    peer: Annotated[str | None, typer.Option(help="Only messages between you and this agent.")] = None,
    message_type: TypeOption = None,
    limit: LimitOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Messages you sent or received, oldest first (an admin key: the team's traffic). Nothing is marked read."""
    params = {
        "team_id": team,
        "thread_id": thread,
        "peer": peer,
        "message_type": message_type.value if message_type else None,
        "limit": limit,
    }
    with hub_session(url, key) as client:
        answer = client.get("/messages/history", **params)
    if as_json:
        print_json(answer)
        return
    _messages_table("history", answer["messages"])
    if answer.get("next_cursor") is not None:
        say(f"more messages follow (after id {answer['next_cursor']})")


def _messages_table(title: str, messages: list[dict[str, Any]]) -> None:
    rows = [
        (m["id"], m["created_at"], m["sender"], m["target"], m["message_type"], m["priority"], m["body"])
        for m in messages
    ]
    table(title, ["id", "at", "from", "to", "type", "priority", "body"], rows)
