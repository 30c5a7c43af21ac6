"""REST routes for messages: send (to an agent, group, role or everyone), the caller's inbox, what it sent, its
history, read receipts, and a team's traffic for the people watching it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from switchboard.api.bounds import IdempotencyKey, LongText, WaitSeconds
from switchboard.api.dependencies import Caller, CurrentHub, PathId, QueryId
from switchboard.api.disconnects import unless_disconnected
from switchboard.messages.models import HistoryQuery, InboxQuery, MessageDraft
from switchboard.messages.service import MARK_READ_MAX, MAX_PAGE

router = APIRouter(tags=["messages"])
MessagePage = Annotated[int, Query(ge=1, le=MAX_PAGE)]
IdempotencyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Same key and body returns the first answer; another body is 409."),
]


class NewMessage(MessageDraft):
    message: LongText | None = Field(None, validation_alias=AliasChoices("message", "body"))
    idempotency_key: IdempotencyKey = None

    def draft(self) -> MessageDraft:
        return MessageDraft.model_validate(self.model_dump(exclude={"idempotency_key"}))


class ReadMarks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_ids: list[int] = Field(
        min_length=1, max_length=MARK_READ_MAX, description="Ids of messages delivered to you."
    )


@router.post("/teams/{team_id}/messages", status_code=201)
async def send_message(
    team_id: PathId, body: NewMessage, principal: Caller, hub: CurrentHub, idempotency_key: IdempotencyHeader = None
) -> dict[str, Any]:
    """Send a message as the caller to `target` / `recipient_id` (an agent's name or id, a group, `@role` or `all`).

    The text goes in `body` (or `message`). `sender_id` / `source`, if given, must name the caller.
    """
    key = body.idempotency_key or idempotency_key
    return (await hub.messages.send_message(principal, body.draft(), team_id, key)).to_json()


@router.get("/teams/{team_id}/messages", status_code=200)
async def list_team_messages(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    thread_id: QueryId = None,
    peer: str | None = None,
    message_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: QueryId = None,
    limit: MessagePage = 100,
) -> dict[str, Any]:
    """The team's messages oldest first. An admin key sees all of them; an agent (a manager too) only those it sent
    or received. Pass `next_cursor` back as `after_id` for the next page."""
    query = HistoryQuery(thread_id, peer, message_type, since, until, after_id, limit)
    return (await hub.messages.query_message_history(principal, query, team_id)).to_json()


@router.get("/messages/inbox", status_code=200)
async def inbox(
    principal: Caller,
    hub: CurrentHub,
    request: Request,
    session_id: str | None = None,
    mark_as_read: bool = True,
    include_read: bool = False,
    limit: MessagePage = 50,
    message_type: str | None = None,
    priority: str | None = None,
    wait_seconds: WaitSeconds = 0,
) -> dict[str, Any]:
    """The caller's unread messages, high priority first, then oldest; they are marked read unless
    `mark_as_read=false`. `include_read=true` lists read ones after them. With `wait_seconds`, an empty inbox
    waits for a message to arrive; if the client hangs up meanwhile, nothing is marked read."""
    query = InboxQuery(limit, include_read, mark_as_read, message_type, priority)
    read = hub.messages.get_messages(principal, query, session_id, wait_seconds)
    return (await unless_disconnected(request.receive, read, wait_seconds)).to_json()


@router.get("/messages/sent", status_code=200)
async def sent(
    principal: Caller,
    hub: CurrentHub,
    limit: MessagePage = 50,
    message_type: str | None = None,
    before_id: QueryId = None,
    team_id: QueryId = None,
) -> dict[str, Any]:
    """What the caller sent, newest first, each with how many recipients have read it."""
    return (await hub.messages.get_sent_messages(principal, limit, message_type, before_id, team_id)).to_json()


@router.get("/messages/history", status_code=200)
async def history(
    principal: Caller,
    hub: CurrentHub,
    thread_id: QueryId = None,
    peer: str | None = None,
    message_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: QueryId = None,
    limit: MessagePage = 100,
    team_id: QueryId = None,
) -> dict[str, Any]:
    """Messages the caller sent or received, oldest first, by thread, peer, type and time."""
    query = HistoryQuery(thread_id, peer, message_type, since, until, after_id, limit)
    return (await hub.messages.query_message_history(principal, query, team_id)).to_json()


@router.post("/messages/read", status_code=200)
async def mark_read(body: ReadMarks, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Mark messages in the caller's inbox read; an id not in it is 404 and nothing is marked."""
    return (await hub.messages.mark_read(principal, body.message_ids)).to_json()


@router.get("/messages/{message_id}", status_code=200)
async def get_message(message_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """One message the caller sent or received; its sender also sees each recipient's read receipt."""
    return (await hub.messages.get_message(principal, message_id)).to_json()
