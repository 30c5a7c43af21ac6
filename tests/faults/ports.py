"""One agent's way to the hub, over REST or over MCP: the same calls, and HubDown when a call gets no answer."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import auth

API = "/api/v1"
REQUEST_SECONDS = 30


class HubDown(Exception):
    """A call got no answer: the hub may or may not have applied it."""


class Port(Protocol):
    async def __aenter__(self) -> Port: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def create_task(self, fields: dict[str, Any], idempotency_key: str) -> dict[str, Any]: ...

    async def claim_next(self) -> dict[str, Any] | None: ...

    async def complete_task(self, task_id: int, attempt: int, result: str) -> dict[str, Any] | None:
        """The task, or None when the hub refuses it as a conflict."""

    async def send_message(self, target: str, text: str, idempotency_key: str) -> dict[str, Any]: ...

    async def held_tasks(self, name: str) -> list[dict[str, Any]]: ...

    async def get_task(self, task_id: int) -> dict[str, Any]: ...


class RestPort:
    def __init__(self, url: str, team_id: int, key: str) -> None:
        self.team_id = team_id
        self.http = httpx.AsyncClient(base_url=url + API, headers=auth(key), timeout=REQUEST_SECONDS)

    async def __aenter__(self) -> RestPort:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.aclose()

    async def create_task(self, fields: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        key = {"Idempotency-Key": idempotency_key}
        return answer(await self._send("POST", f"/teams/{self.team_id}/tasks", json=fields, headers=key), 201)

    async def claim_next(self) -> dict[str, Any] | None:
        task: dict[str, Any] | None = answer(await self._send("POST", f"/teams/{self.team_id}/tasks/claim-next"))[
            "task"
        ]
        return task

    async def complete_task(self, task_id: int, attempt: int, result: str) -> dict[str, Any] | None:
        response = await self._send("POST", f"/tasks/{task_id}/complete", json={"result": result, "attempt": attempt})
        return None if response.status_code == 409 else answer(response)

    async def send_message(self, target: str, text: str, idempotency_key: str) -> dict[str, Any]:
        body = {"target": target, "message": text}
        key = {"Idempotency-Key": idempotency_key}
        return answer(await self._send("POST", f"/teams/{self.team_id}/messages", json=body, headers=key), 201)

    async def held_tasks(self, name: str) -> list[dict[str, Any]]:
        params = {"holder": name, "status": "claimed"}
        items: list[dict[str, Any]] = answer(await self._send("GET", f"/teams/{self.team_id}/tasks", params=params))[
            "items"
        ]
        return items

    async def get_task(self, task_id: int) -> dict[str, Any]:
        return answer(await self._send("GET", f"/tasks/{task_id}"))

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise HubDown(repr(exc)) from exc


class McpPort:
    """Each call on an MCP connection of its own: the SDK's client ends its session when the hub goes away."""

    def __init__(self, url: str, team_id: int, key: str) -> None:
        self.url = f"{url}/mcp"
        self.http = httpx2.AsyncClient(headers=auth(key), timeout=REQUEST_SECONDS)

    async def __aenter__(self) -> McpPort:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.aclose()

    async def create_task(self, fields: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return _succeeded(await self._call("create_task", {**fields, "idempotency_key": idempotency_key}))

    async def claim_next(self) -> dict[str, Any] | None:
        task: dict[str, Any] | None = _succeeded(await self._call("claim_next", {}))["task"]
        return task

    async def complete_task(self, task_id: int, attempt: int, result: str) -> dict[str, Any] | None:
        answered = await self._call("complete_task", {"task_id": task_id, "attempt": attempt, "result": result})
        if answered.get("error", {}).get("code") == "conflict":
            return None
        return _succeeded(answered)

    async def send_message(self, target: str, text: str, idempotency_key: str) -> dict[str, Any]:
        arguments = {"target": target, "message": text, "idempotency_key": idempotency_key}
        return _succeeded(await self._call("send_message", arguments))

    async def held_tasks(self, name: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = _succeeded(await self._call("get_tasks", {"holder": name, "status": "claimed"}))[
            "items"
        ]
        return items

    async def get_task(self, task_id: int) -> dict[str, Any]:
        return _succeeded(await self._call("get_task", {"task_id": task_id}))

    async def _call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            async with Client(streamable_http_client(self.url, http_client=self.http)) as client:
                result = await client.call_tool(tool, arguments)
        except Exception as exc:
            if not _has_transport_error(exc):
                raise
            raise HubDown(repr(exc)) from exc
        assert result.structured_content is not None, result
        content: dict[str, Any] = result.structured_content
        return content


def answer(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


def _succeeded(answered: dict[str, Any]) -> dict[str, Any]:
    assert "error" not in answered, answered
    return answered


def _has_transport_error(exc: BaseException) -> bool:
    """The SDK's client raises the connection's failure inside exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return any(_has_transport_error(inner) for inner in exc.exceptions)
    return isinstance(exc, httpx2.TransportError)
