"""Every HTTP request observed: its duration in the metrics, and one line in the access log naming the key's id
(never the key), the route or MCP tool, the status and the duration."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.api.auth import PRINCIPAL_STATE
from switchboard.metrics import HubMetrics
from switchboard.teams.models import Principal

access_log = logging.getLogger("switchboard.access")
MCP_PATHS = ("/mcp", "/v1/mcp")
# Probes come every few seconds; their lines would drown the rest.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestObserver:
    def __init__(self, app: ASGIApp, metrics: HubMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A state of its own per request, which the handlers fill in (the caller) and this reads afterwards.
        scope = {**scope, "state": dict(scope.get("state") or {})}
        is_mcp = scope.get("path", "").rstrip("/") in MCP_PATHS
        body = bytearray()
        status = 500

        async def teed() -> Message:
            message = await receive()
            if is_mcp:
                body.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, teed, sending)
        finally:
            self._observe(scope, status, time.perf_counter() - started, _tool_called(body) if is_mcp else None)

    def _observe(self, scope: Scope, status: int, seconds: float, tool: str | None) -> None:
        route = _route_of(scope)
        method = scope.get("method", "")
        self.metrics.request_duration.labels(method=method, route=route, status=str(status)).observe(seconds)
        principal = scope["state"].get(PRINCIPAL_STATE)
        key_id = principal.key_id if isinstance(principal, Principal) else None
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "tool": tool,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "key_id": key_id,
        }
        level = logging.DEBUG if route in PROBE_PATHS else logging.INFO
        what = f"{route} {tool}" if tool else route
        access_log.log(level, "%s %s %d %.1fms key=%s", method, what, status, seconds * 1000, key_id, extra=fields)


def _route_of(scope: Scope) -> str:
    """The route's template (`/api/v1/tasks/{task_id}`), so ids do not make a series each; "unmatched" when no
    route took the request."""
    if scope.get("path", "").rstrip("/") in MCP_PATHS:
        return "/mcp"
    if scope.get("route") is None:
        return "unmatched"
    # Built from the path and its parameters: a route of an included router knows only its path below the prefix.
    names = {str(value): f"{{{name}}}" for name, value in (scope.get("path_params") or {}).items()}
    return "/".join(names.get(part, part) for part in scope.get("path", "").split("/"))


def _tool_called(body: bytes | bytearray) -> str | None:
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    name = (message.get("params") or {}).get("name")
    return name if isinstance(name, str) else None
