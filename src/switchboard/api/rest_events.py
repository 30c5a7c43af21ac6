"""The live event stream of a team, as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header
from sse_starlette import EventSourceResponse, ServerSentEvent

from switchboard.api.dependencies import Caller, CurrentHub, PathId, QueryId
from switchboard.errors import InvalidInput, Unavailable
from switchboard.hub import Hub
from switchboard.limits import ID_MAX
from switchboard.tasks.feed import TeamEventFeed

router = APIRouter(tags=["events"])
KEEP_ALIVE_SECONDS = 15
# While a newer event waits behind an id not yet committed (another team's, say), look again soon.
HOLE_RECHECK_SECONDS = 0.05


@router.get("/teams/{team_id}/events/stream", response_class=EventSourceResponse)
async def stream_team_events(
    team_id: PathId,
    principal: Caller,
    hub: CurrentHub,
    last_event_id: QueryId = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """Every change in the team as it happens: `id` is the event's id, `event` its kind, `data` the event as JSON
    (id, task_id, kind, actor, at, data). Reconnect with the `Last-Event-ID` header (or `?last_event_id=`) to get
    exactly the events after that one; a comment line keeps the connection alive every 15 s."""
    await hub.teams.get_team(principal, team_id)
    after = _resume_point(last_event_id_header, last_event_id)
    return EventSourceResponse(_events(hub, TeamEventFeed(hub.db, team_id, after)), ping=KEEP_ALIVE_SECONDS)


@router.get("/teams/{team_id}/events/position", status_code=200)
async def events_position(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, int]:
    """Where to follow the stream from after loading the team's current state: every event up to `last_event_id`
    is committed already, so pass it as `?last_event_id=` to the stream and then read what you show."""
    await hub.teams.get_team(principal, team_id)
    return {"last_event_id": await TeamEventFeed(hub.db, team_id).skip_to_now()}


def _resume_point(header: str | None, query: int | None) -> int:
    if header is None or not header.strip():
        return query or 0
    text = header.strip()
    if not text.isdigit() or int(text) > ID_MAX:
        raise InvalidInput(f"Last-Event-ID must be an event id, not {text!r}", last_event_id=text)
    return int(text)


async def _events(hub: Hub, feed: TeamEventFeed) -> AsyncIterator[ServerSentEvent]:
    notifier = hub.notifier
    while True:
        subscription = notifier.subscribe(feed.team_id)
        try:
            events = await feed.next_events()
        except Unavailable:
            # The stream rides out the outage (its keep-alive comments go on) and reads again at the next
            # re-check, or sooner: the listener wakes every team once the database is back.
            await subscription.wait(notifier.recheck_seconds)
            continue
        for event in events:
            yield ServerSentEvent(json.dumps(event.to_json()), event=event.kind, id=str(event.id))
        if feed.more:
            continue
        await subscription.wait(HOLE_RECHECK_SECONDS if feed.waiting_on_a_hole else notifier.recheck_seconds)
