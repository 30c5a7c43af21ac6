"""An MCP SDK client connected to the app in-process over Streamable HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from switchboard.api.app import HubApp


@asynccontextmanager
async def mcp_client(app: HubApp, key: str | None, path: str = "/mcp") -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver", headers=headers
    ) as http, Client(streamable_http_client(f"http://testserver{path}", http_client=http)) as client:
        yield client


def payload(result: CallToolResult) -> dict[str, Any]:
    """The tool's structured content, checked to equal the JSON text beside it."""
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    return result.structured_content
