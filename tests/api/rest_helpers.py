"""Small helpers for REST tests: calls that must succeed, and the one error shape."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import auth

API = "/api/v1"


async def created(http: httpx.AsyncClient, path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST that must answer 201; its JSON."""
    response = await http.post(API + path, json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def ok(http: httpx.AsyncClient, method: str, path: str, key: str, **kwargs: Any) -> dict[str, Any]:
    """Any call that must answer 200; its JSON."""
    response = await http.request(method, API + path, headers=auth(key), **kwargs)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def new_task(
    http: httpx.AsyncClient, key: str, team_id: int, title: str = "a task", **body: Any
) -> dict[str, Any]:
    return await created(http, f"/teams/{team_id}/tasks", key, {"title": title, **body})


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The `{"error": {"code", "message", "details"}}` of a refusal, checked for its status and code."""
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert error["message"]
    return error
