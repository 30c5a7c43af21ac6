"""MCP tools for a team's outgoing webhooks: register a URL for chosen events, list them, read deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import DESTRUCTIVE, READ_ONLY, WRITE, TeamId, answer, principal_of
from switchboard.hub import Hub
from switchboard.webhooks.models import EVENT_NAMES

WebhookId = Annotated[int, Field(description="The webhook's `id`, as register_webhook or list_webhooks gave it.")]
EVENT_LIST = ", ".join(EVENT_NAMES)


def register_webhook_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Register a webhook",
        annotations=WRITE,
        description=(
            "Have the hub POST your team's chosen events to a URL, e.g. a chat channel's incoming webhook or an "
            "on-call system, so people hear about them without watching the dashboard. Events: "
            f"{EVENT_LIST}, or * for all of them. Only events from now on are sent. Each delivery is a JSON body "
            '{"id", "event", "team_id", "occurred_at", "data"} with headers X-Switchboard-Event, '
            "X-Switchboard-Delivery, X-Switchboard-Timestamp and X-Switchboard-Signature "
            '("sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>" with the secret). A delivery that is not answered '
            "with a 2xx status is retried with growing waits (10 s doubling, at most an hour, 8 tries); a URL that "
            "fails 20 times in a row is disabled and an alert raised. Returns the webhook with its `secret`, shown "
            "only this once: give it to the receiver so it can check signatures. Managers and admins only; an "
            "unknown event name or a URL that is not http(s) is refused and nothing is registered."
        ),
    )
    async def register_webhook(
        url: Annotated[str, Field(description="The http:// or https:// address to POST to.")],
        events: Annotated[
            list[str] | str,
            Field(
                description=(
                    f'Event names to send: {EVENT_LIST}; or ["*"] for every one. A comma-separated string works too.'
                )
            ),
        ],
        ctx: Context,
        secret: Annotated[
            str | None,
            Field(description="Your own signing secret (16 to 200 characters); leave it out to get one generated."),
        ] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.webhooks.register(principal_of(ctx), team_id, url, events, secret)).to_json()

        return await answer(run())

    @server.tool(
        title="List webhooks",
        annotations=READ_ONLY,
        description=(
            'Your team\'s webhooks: {"webhooks": [{id, url, events, active, consecutive_failures, '
            "disabled_reason, ...}]}. A webhook with `active` false was disabled after failing again and again; "
            "`disabled_reason` says why (a person re-enables it over REST or the CLI once the URL works). "
            "Secrets are never shown again. Managers and admins only."
        ),
    )
    async def list_webhooks(ctx: Context, team_id: TeamId = None) -> CallToolResult:
        async def run() -> dict[str, Any]:
            found = await hub.webhooks.list_webhooks(principal_of(ctx), team_id)
            return {"webhooks": [w.to_json() for w in found]}

        return await answer(run())

    @server.tool(
        title="List a webhook's deliveries",
        annotations=READ_ONLY,
        description=(
            "What was sent to a webhook, newest first: each delivery's event, `status` (pending: not yet "
            "answered with 2xx and will be retried at `next_attempt_at`; delivered; failed: gave up after its "
            "last try), `attempts`, `last_status_code`, `last_error` and the `payload` sent. Use it to find out "
            'why a receiver did not hear about something. Returns {"deliveries": [...]}. Managers and admins only.'
        ),
    )
    async def list_webhook_deliveries(
        webhook_id: WebhookId,
        ctx: Context,
        status: Annotated[str | None, Field(description="pending, delivered, failed, or all (the default).")] = None,
        limit: Annotated[int, Field(description="At most this many, 1 to 500 (default 100).")] = 100,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            found = await hub.webhooks.list_deliveries(principal_of(ctx), webhook_id, status, limit)
            return {"deliveries": [d.to_json() for d in found]}

        return await answer(run())

    @server.tool(
        title="Remove a webhook",
        annotations=DESTRUCTIVE,
        description=(
            "Stop sending events to a webhook and delete it with its delivery history; deliveries not yet made "
            "are dropped. Returns the removed webhook. Managers and admins only."
        ),
    )
    async def remove_webhook(webhook_id: WebhookId, ctx: Context) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.webhooks.remove(principal_of(ctx), webhook_id)).to_json()

        return await answer(run())
