"""MCP tools: usage."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from switchboard.hub import Hub


def register_usage_tools(server: MCPServer, hub: Hub) -> None:
    pass
