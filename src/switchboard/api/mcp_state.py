"""MCP tools: state."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from switchboard.hub import Hub


def register_state_tools(server: MCPServer, hub: Hub) -> None:
    pass
