"""Calls over HTTP from many clients at once to a hub in its own process: the MCP tool `claim_next` with nothing
ready, and the REST read `GET /api/v1/tasks/{id}`.

Each client is its own agent (its own key), on its own keep-alive connection. The MCP request is the one the MCP
SDK's client sends for `call_tool("claim_next", {})` (protocol 2026-07-28: one POST per call, no session), replayed
as bytes so that the load generator stays light.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._hub_process import hub_process
from bench._load import LoadResult, generate, http_request

MCP_PROTOCOL = "2026-07-28"
TASKS_TO_READ = 200


@dataclass(frozen=True)
class LoadSettings:
    clients: int = 50
    processes: int = 2
    warmup: float = 2.0
    seconds: float = 5.0


def hub_workers(workers: int) -> dict[str, str]:
    """The hub's environment for `serve --workers`."""
    return {"SWITCHBOARD_WORKERS": str(workers)}


async def mcp_claim_next_load(
    url: str, data_dir: Path, load: LoadSettings, rate: float, workers: int = 1
) -> tuple[LoadResult, LoadResult]:
    """`claim_next` tool calls with nothing ready from `load.clients` agents: flat out, then paced at `rate`."""
    async with hub_process(url, data_dir, hub_workers(workers)) as hub:
        _, keys = await _agent_keys(hub.base, hub.admin_key, load.clients)
        requests = [[_mcp_call(key, "claim_next", {}, n)] for n, key in enumerate(keys)]
        return await _both_phases(hub.port, hub.pid, requests, load, rate, expect='"isError":false')


async def rest_get_task_load(
    url: str, data_dir: Path, load: LoadSettings, rate: float, workers: int = 1
) -> tuple[LoadResult, LoadResult]:
    """`GET /api/v1/tasks/{id}` from `load.clients` agents over a team's 200 tasks (some with dependencies and
    sub-tasks): flat out, then paced at `rate`."""
    async with hub_process(url, data_dir, hub_workers(workers)) as hub:
        team_id, keys = await _agent_keys(hub.base, hub.admin_key, load.clients)
        ids = await _tasks_to_read(hub.base, hub.admin_key, team_id)
        requests = [
            [_get(f"/api/v1/tasks/{ids[(n * 7 + i) % len(ids)]}", key) for i in range(len(ids))]
            for n, key in enumerate(keys)
        ]
        return await _both_phases(hub.port, hub.pid, requests, load, rate, expect='"id":')


async def _both_phases(
    port: int, pid: int, requests: list[list[str]], load: LoadSettings, rate: float, expect: str
) -> tuple[LoadResult, LoadResult]:
    flat_out = await generate(
        port,
        requests,
        processes=load.processes,
        warmup=load.warmup,
        seconds=load.seconds,
        rate=None,
        server_pid=pid,
        expect=expect,
    )
    paced = await generate(
        port,
        requests,
        processes=load.processes,
        warmup=load.warmup,
        seconds=load.seconds,
        rate=rate,
        server_pid=pid,
        expect=expect,
    )
    return flat_out, paced


async def _agent_keys(base: str, admin_key: str, count: int) -> tuple[int, list[str]]:
    """A new team with `count` agents, and a key for each."""
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=_auth(admin_key), timeout=30) as http:
        org_id = (await http.get("/whoami")).json()["org_id"]
        team = (await http.post(f"/orgs/{org_id}/teams", json={"name": f"load {secrets.token_hex(3)}"})).json()
        keys = []
        for n in range(count):
            created = await http.post(f"/teams/{team['id']}/keys", json={"program_id": f"worker-{n}"})
            keys.append(created.json()["key"])
        return team["id"], keys


async def _tasks_to_read(base: str, admin_key: str, team_id: int) -> list[int]:
    """A team's tasks for agents to read: every fourth depends on the one before, every tenth has two sub-tasks."""
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=_auth(admin_key), timeout=30) as http:
        drafts = []
        for i in range(TASKS_TO_READ):
            draft: dict[str, object] = {"ref": f"t{i}", "title": f"task {i}", "instructions": "x" * 200}
            if i % 4 == 3:
                draft["depends_on"] = [f"t{i - 1}"]
            if i % 10 in (1, 2) and i >= 10:
                draft["parent_id"] = f"t{i - i % 10}"
            drafts.append(draft)
        created = await http.post(f"/teams/{team_id}/tasks/batch", json={"tasks": drafts})
        assert created.status_code == 201, created.text
        return [t["id"] for t in created.json()["tasks"]]


def _mcp_call(key: str, tool: str, arguments: dict[str, object], request_id: int) -> str:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MCP_PROTOCOL,
        "io.modelcontextprotocol/clientInfo": {"name": "mcp", "version": "0.1.0"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    message = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": meta},
    }
    headers = {
        **_auth(key),
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": MCP_PROTOCOL,
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    return http_request("POST", "/mcp", headers, json.dumps(message, separators=(",", ":")).encode())


def _get(path: str, key: str) -> str:
    return http_request("GET", path, _auth(key))


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
