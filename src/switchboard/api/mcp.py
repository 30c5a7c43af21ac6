"""The MCP transport: tools for agents over Streamable HTTP (/mcp, /v1/mcp) and stdio."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field
from starlette.types import ASGIApp

from switchboard import __version__
from switchboard.api.auth import PRINCIPAL_STATE
from switchboard.api.disconnects import ClientDisconnected, unless_disconnected
from switchboard.errors import SwitchboardError, Unauthorized, Unavailable
from switchboard.hub import Hub
from switchboard.teams.models import Principal

INSTRUCTIONS = """\
Switchboard coordinates a team of agents. Call `whoami` first to learn your name, role and team.
Work arrives as tasks: `claim_next` takes the best ready task for you; `heartbeat` while you work;
`complete_task` when done. Managers break work down with `create_task` / `create_tasks_batch`."""

# Tools only managers and admins see in tools/list (the services refuse others anyway).
STEWARD_TOOLS = frozenset(
    {
        "create_key",
        "revoke_key",
        "update_team_settings",
        "answer_question",
        "create_group",
        "add_group_members",
        "remove_group_members",
        "register_repository",
        "merge_task_branch",
        "register_webhook",
        "list_webhooks",
        "list_webhook_deliveries",
        "remove_webhook",
    }
)

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
IDEMPOTENT_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False)

TeamId = Annotated[
    int | None,
    Field(
        description=(
            "Only for admin keys, whose org may hold several teams: the team to act on. "
            "An agent always acts on its own team; naming another team is reported as not found."
        )
    ),
]

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """`taskId` -> `task_id`: the seeds' camelCase argument names reach the same parameters."""
    return _CAMEL.sub(r"_\1", name).lower()


def principal_of(ctx: Context) -> Principal:
    """The caller: from the authenticated HTTP request, or the key the stdio process was started with."""
    request = ctx.request_context.request
    principal = getattr(getattr(request, "state", None), PRINCIPAL_STATE, None) if request is not None else None
    if principal is None:
        principal = getattr(ctx.mcp_server, "stdio_principal", None)
    if isinstance(principal, Unavailable):
        raise principal
    if not isinstance(principal, Principal):
        raise Unauthorized()
    return principal


def ok(payload: Any) -> CallToolResult:
    """Structured content plus the same JSON as text."""
    structured = payload if isinstance(payload, dict) else {"result": payload}
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(structured))], structured_content=structured
    )


def failed(exc: SwitchboardError) -> CallToolResult:
    body = {"error": exc.to_dict()}
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(body))], structured_content=body, is_error=True
    )


async def answer(call: Awaitable[Any]) -> CallToolResult:
    """Run a service call and shape its result or its refusal as a tool result."""
    try:
        return ok(await call)
    except SwitchboardError as exc:
        return failed(exc)


async def answer_waiting(ctx: Context, call: Awaitable[Any], wait_seconds: float | None) -> CallToolResult:
    """`answer` for a call that may wait: over HTTP it ends when the client hangs up, having claimed or read
    nothing. The SDK would run it on, since this app answers each call with JSON rather than a stream."""
    request = ctx.request_context.request
    try:
        return await answer(unless_disconnected(getattr(request, "receive", None), call, wait_seconds))
    except ClientDisconnected:
        return CallToolResult(content=[TextContent(type="text", text="the client disconnected")], is_error=True)


class ArgumentNames:
    """Middleware: camelCase argument names become snake_case before the arguments are validated."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and ctx.params and isinstance(ctx.params.get("arguments"), dict):
            arguments = {snake_case(k): v for k, v in ctx.params["arguments"].items()}
            ctx = dataclasses.replace(ctx, params={**ctx.params, "arguments": arguments})
        return await call_next(ctx)


class ToolErrorShape:
    """Middleware: errors the SDK reports itself (arguments that fail validation, an unknown tool) get the
    same `{"error": {...}}` shape as the hub's refusals, so an agent reads every failure the same way."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        # Results reach middleware already in wire form (a dict with camelCase keys).
        result = await call_next(ctx)
        if ctx.method != "tools/call" or not isinstance(result, dict) or not result.get("isError"):
            return result
        if result.get("structuredContent") is not None:
            return result
        text = " ".join(c.get("text", "") for c in result.get("content", []) if isinstance(c, dict))
        # The SDK hides a crash's details behind a bare "Error executing tool <name>"; anything more is a refusal.
        crashed = text.startswith("Error executing tool") and ": " not in text
        body: dict[str, Any] = {
            "error": {
                "code": "internal_error" if crashed else "invalid_input",
                "message": text or "the tool call failed",
                "details": {},
            }
        }
        return {**result, "content": [{"type": "text", "text": json.dumps(body)}], "structuredContent": body}


class ToolTiming:
    """Middleware: each tool call's duration, by tool, in the hub's metrics."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call" or not ctx.params:
            return await call_next(ctx)
        started = time.perf_counter()
        try:
            return await call_next(ctx)
        finally:
            tool = str(ctx.params.get("name", ""))
            self.hub.metrics.tool_duration.labels(tool=tool).observe(time.perf_counter() - started)


class ToolsForRole:
    """Middleware: tools/list shows what the caller's role may use."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        # Results reach middleware already in wire form (a dict), not as a ListToolsResult.
        result = await call_next(ctx)
        if ctx.method != "tools/list" or not isinstance(result, dict) or self._is_steward(ctx):
            return result
        tools = [t for t in result.get("tools", []) if not (isinstance(t, dict) and t.get("name") in STEWARD_TOOLS)]
        return {**result, "tools": tools}

    def _is_steward(self, ctx: ServerRequestContext[Any, Any]) -> bool:
        request = ctx.request
        principal = getattr(getattr(request, "state", None), PRINCIPAL_STATE, None) if request is not None else None
        principal = principal or getattr(self.server, "stdio_principal", None)
        return isinstance(principal, Principal) and (
            principal.is_admin or bool(principal.agent and principal.agent.is_manager)
        )


ToolRegistrar = Callable[[MCPServer, Hub], None]


def build_mcp_server(hub: Hub, stdio_principal: Principal | None = None) -> MCPServer:
    from switchboard.api.mcp_tools import register_all

    server: MCPServer = MCPServer("switchboard", version=__version__, instructions=INSTRUCTIONS)
    server.stdio_principal = stdio_principal  # type: ignore[attr-defined]
    server.middleware.append(ToolTiming(hub))
    server.middleware.append(ArgumentNames())
    server.middleware.append(ToolErrorShape())
    server.middleware.append(ToolsForRole(server))
    register_all(server, hub)
    return server


def mcp_http_app(server: MCPServer) -> ASGIApp:
    # Stateless JSON answers let any hub process serve any call. Every call carries a bearer key,
    # which a DNS-rebinding page cannot know, so host checks would only break proxies.
    return server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )


async def serve_stdio(hub: Hub, key: str) -> None:
    """`switchboard mcp`: one agent's MCP session over stdin/stdout, acting with `key`."""
    principal = await hub.keys.authenticate(key)
    await build_mcp_server(hub, stdio_principal=principal).run_stdio_async()
