"""REST routes for a team's outgoing webhooks and their deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from switchboard.api.dependencies import Caller, CurrentHub, PathId
from switchboard.webhooks.models import EVENT_NAMES
from switchboard.webhooks.service import LIST_MAX

router = APIRouter(tags=["webhooks"])
Limit = Annotated[int, Query(ge=1, le=LIST_MAX)]


class NewWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="The http:// or https:// address to POST to.")
    events: list[str] = Field(description=f'Event names: {", ".join(EVENT_NAMES)}; or ["*"] for all.')
    secret: str | None = Field(None, description="Your own signing secret (16 to 200 characters); else generated.")


@router.post("/teams/{team_id}/webhooks", status_code=201)
async def register_webhook(team_id: PathId, body: NewWebhook, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Send the team's chosen events to a URL (managers and admins). The answer holds the signing `secret`, shown
    only this once. Each POST carries `X-Switchboard-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
    with the timestamp from `X-Switchboard-Timestamp`."""
    return (await hub.webhooks.register(principal, team_id, body.url, body.events, body.secret)).to_json()


@router.get("/teams/{team_id}/webhooks", status_code=200)
async def list_webhooks(team_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """The team's webhooks, without their secrets (managers and admins)."""
    return {"webhooks": [w.to_json() for w in await hub.webhooks.list_webhooks(principal, team_id)]}


@router.get("/webhooks/{webhook_id}", status_code=200)
async def get_webhook(webhook_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """One webhook, with whether it is active and why it was disabled."""
    return (await hub.webhooks.get(principal, webhook_id)).to_json()


@router.delete("/webhooks/{webhook_id}", status_code=200)
async def remove_webhook(webhook_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Stop sending to a webhook and delete it with its deliveries. Answers the removed webhook."""
    return (await hub.webhooks.remove(principal, webhook_id)).to_json()


@router.post("/webhooks/{webhook_id}/enable", status_code=200)
async def enable_webhook(webhook_id: PathId, principal: Caller, hub: CurrentHub) -> dict[str, Any]:
    """Turn a disabled webhook back on; its pending deliveries are retried at once."""
    return (await hub.webhooks.enable(principal, webhook_id)).to_json()


@router.get("/webhooks/{webhook_id}/deliveries", status_code=200)
async def list_deliveries(
    webhook_id: PathId, principal: Caller, hub: CurrentHub, status: str | None = None, limit: Limit = 100
) -> dict[str, Any]:
    """A webhook's deliveries, newest first. `status`: pending, delivered, failed or all (default)."""
    found = await hub.webhooks.list_deliveries(principal, webhook_id, status, limit)
    return {"deliveries": [d.to_json() for d in found]}
