"""Request log lines: the key's id (never the key), the route or MCP tool, the status and the duration; as JSON
lines from `switchboard serve --log-format json`."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from switchboard.api.app import HubApp
from switchboard.logs import JsonFormatter
from tests.api.mcp_client import call, mcp_client
from tests.conftest import World, auth
from tests.live_hub import serving

ACCESS = "switchboard.access"


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS]


async def test_a_rest_request_is_logged_with_its_key_id_route_status_and_duration(
    world: World, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    builder = await world.agent("builder")
    caplog.set_level(logging.INFO, logger=ACCESS)

    response = await http.get("/api/v1/tasks/999999999", headers=auth(builder.key))

    (record,) = access_records(caplog)
    line = json.loads(JsonFormatter().format(record))
    assert response.status_code == 404
    assert line["key_id"] == builder.principal.key_id and line["route"] == "/api/v1/tasks/{task_id}"
    assert line["status"] == 404 and line["method"] == "GET" and line["duration_ms"] >= 0
    assert line["logger"] == ACCESS and line["level"] == "info"
    assert builder.key not in json.dumps(line) and builder.key not in record.getMessage()


async def test_an_mcp_tool_call_is_logged_with_the_tool_name(
    app: HubApp, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    builder = await world.agent("builder")
    caplog.set_level(logging.INFO, logger=ACCESS)

    async with mcp_client(app, builder.key) as client:
        await call(client, "whoami")

    calls = [r for r in access_records(caplog) if getattr(r, "tool", None) == "whoami"]
    assert len(calls) == 1
    (record,) = calls
    assert record.__dict__["key_id"] == builder.principal.key_id and record.__dict__["route"] == "/mcp"
    assert record.__dict__["status"] == 200


async def test_a_request_without_a_key_is_logged_without_a_key_id(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)

    response = await http.get("/api/v1/tasks/1", headers=auth("not-a-key"))

    (record,) = access_records(caplog)
    assert response.status_code == 401 and record.__dict__["status"] == 401
    assert record.__dict__["key_id"] is None and "not-a-key" not in JsonFormatter().format(record)


def test_serve_with_json_logs_writes_one_json_line_per_request(tmp_path: Path) -> None:
    with serving(tmp_path, None, "sqlite", extra=["--log-format", "json"]) as hub:
        key = hub.admin_key
        response = httpx.get(f"{hub.url}/api/v1/orgs", headers=auth(key), timeout=10)
    assert response.status_code == 200

    # The log holds stdout too, whose start-up banner shows a new admin key once; the log lines are the JSON ones.
    lines = [line for line in (tmp_path / "hub.log").read_text().splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    requests = [e for e in entries if e.get("route") == "/api/v1/orgs"]
    assert len(requests) == 1
    (entry,) = requests
    assert entry["status"] == 200 and entry["method"] == "GET" and isinstance(entry["key_id"], int)
    assert key not in "\n".join(lines)
    assert any(e["logger"].startswith("uvicorn") for e in entries)
