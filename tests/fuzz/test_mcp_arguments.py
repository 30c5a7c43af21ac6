"""Every tool in tools/list, called with malformed arguments, answers a clear refusal and changes nothing.

The cases come from each tool's own input schema: required arguments left out, each property given a value of a
type it does not take, and the required ones given negative ids and oversize text.
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client, MCPError
from mcp_types import CallToolResult

from switchboard.api.app import HubApp
from tests.api.mcp_client import mcp_client, protocol_errors
from tests.conftest import World
from tests.fuzz.shapes import allowed_types, properties, required, row_counts, wrong_values

HUGE_TEXT = "x" * 300_000  # beyond every text limit (the largest, a program state, is 256 KiB)
INTERNAL_ERROR = -32603


def bad_value(prop: dict[str, Any]) -> Any:
    """A value of a type the property takes, but out of range: a negative number, oversize text."""
    allowed = allowed_types(prop) or {"string"}
    if "integer" in allowed or "number" in allowed:
        return -1
    if "string" in allowed:
        return HUGE_TEXT
    if "array" in allowed:
        return [HUGE_TEXT]
    return {"junk": HUGE_TEXT}


def malformed_calls(tool_schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(what is wrong, arguments) for one tool; every one of them must be refused."""
    props = properties(tool_schema)
    needed = required(tool_schema)
    out_of_range = {name: bad_value(props.get(name, {})) for name in needed}
    cases: list[tuple[str, dict[str, Any]]] = []
    if needed:
        cases.append(("no arguments", {}))
    for name, prop in props.items():
        for value in wrong_values(prop):
            cases.append((f"{name}={value!r}", {**out_of_range, name: value}))
    return cases


async def call_tool(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult | MCPError:
    try:
        with anyio.fail_after(10):
            return await client.call_tool(tool, arguments)
    except MCPError as exc:
        return exc
    except Exception as exc:  # the SDK wraps a protocol error in exception groups
        errors = protocol_errors(exc)
        if not errors:
            raise
        return errors[0]


def unclear(answer: CallToolResult | MCPError) -> str | None:
    """Why an answer is not a clear refusal, or None when it is one."""
    if isinstance(answer, MCPError):
        return f"internal protocol error: {answer}" if answer.code == INTERNAL_ERROR else None
    if not answer.is_error:
        return f"accepted: {str(answer.structured_content)[:200]}"
    body = answer.structured_content
    if body is None or not isinstance(body.get("error"), dict):
        return f"not in the error shape: {str(answer.content)[:200]}"
    error = body["error"]
    if error.get("code") == "internal_error":
        return f"crashed: {str(error)[:200]}"
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str) or not error["message"]:
        return f"no code or message: {str(error)[:200]}"
    return None


async def test_every_tool_refuses_malformed_arguments_and_changes_nothing(app: HubApp, world: World) -> None:
    hub = world.hub
    before = await row_counts(hub)
    async with mcp_client(app, world.admin_key) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) > 20
        problems = [
            f"{tool.name} with {what[:60]}: {why}"
            for tool in tools
            for what, arguments in malformed_calls(tool.input_schema)
            if (why := unclear(await call_tool(client, tool.name, arguments))) is not None
        ]
    assert problems == [], "\n".join(problems)
    assert await row_counts(hub) == before
