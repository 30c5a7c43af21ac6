"""An MCP SDK client connected to the app in-process over Streamable HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from switchboard.api.app import HubApp


@asynccontextmanager
async def mcp_client(app: HubApp, key: str | None, path: str = "/mcp") -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://testserver", headers=headers
        ) as http,
        Client(streamable_http_client(f"http://testserver{path}", http_client=http)) as client,
    ):
        yield client


def payload(result: CallToolResult) -> dict[str, Any]:
    """The tool's structured content, checked to equal the JSON text beside it."""
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    return result.structured_content


async def call(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a tool that must succeed; its structured answer."""
    with anyio.fail_after(5):
        result = await client.call_tool(tool, arguments or {})
    assert not result.is_error, result.structured_content or result.content
    return payload(result)


async def refused(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call a tool that must be refused; the error it answers with."""
    with anyio.fail_after(5):
        result = await client.call_tool(tool, arguments or {})
    return refusal(result)


def refusal(result: CallToolResult) -> dict[str, Any]:
    """The error a refused tool call carries: `{"code", "message", "details"}`."""
    assert result.is_error, f"expected a refusal, got {result.structured_content}"
    error: dict[str, Any] = payload(result)["error"]
    return error


async def refused_connection(app: HubApp, key: str) -> list[MCPError]:
    """Connect with `key` and call a tool, which must fail; the protocol errors the client raised."""
    try:
        with anyio.fail_after(5):
            async with mcp_client(app, key) as client:
                await client.call_tool("whoami", {})
    except Exception as exc:
        errors = protocol_errors(exc)
        assert errors, f"expected the server to refuse the connection, got {exc!r}"
        return errors
    raise AssertionError("the call went through")


def protocol_errors(exc: BaseException) -> list[MCPError]:
    """The MCP errors inside what the client raised (it wraps them in exception groups)."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in protocol_errors(inner)]
    return [exc] if isinstance(exc, MCPError) else []
