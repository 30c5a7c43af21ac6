"""MCP tools: messages."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from switchboard.hub import Hub


def register_messages_tools(server: MCPServer, hub: Hub) -> None:
    pass
