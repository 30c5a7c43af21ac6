"""The OpenAPI document declares the limits the services enforce, with the services' own numbers, and a value over
one is refused in the hub's error shape, the same way whichever layer refuses it, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx

from switchboard.api.app import HubApp
from switchboard.limits import (
    ATTEMPTS_MAX,
    BATCH_MAX_TASKS,
    LEASE_MAX_SECONDS,
    LEASE_MIN_SECONDS,
    PROGRESS_MAX,
    SHORT_TEXT_MAX_CHARS,
    TAGS_MAX,
    TEXT_MAX_BYTES,
    TITLE_MAX_CHARS,
)
from switchboard.messages import service as messages
from switchboard.questions.models import OPTIONS_MAX, TIMEOUT_MAX_MINUTES, TIMEOUT_MIN_MINUTES
from switchboard.reviews.models import COMMENTS_MAX
from switchboard.sprints.service import SPRINT_MAX_STORIES
from switchboard.storage.idempotency import KEY_MAX_CHARS
from switchboard.tasks import service as tasks
from switchboard.teams import service as teams
from switchboard.usage.ledger import COST_MAX_USD, TOKENS_MAX
from switchboard.usage.service import SUMMARY_MAX_DAYS
from switchboard.waiting import COMPLETION_WAIT_MAX_SECONDS, WAIT_MAX_SECONDS
from tests.api.mcp_client import mcp_client, refused
from tests.api.rest_helpers import API, error_of, ok
from tests.conftest import World, auth
from tests.fuzz.shapes import row_counts

TASKS = "/api/v1/teams/{team_id}/tasks"
# (method, path, where, field, JSON Schema keyword, the service's number)
DECLARED = [
    ("post", TASKS, "body", "title", "maxLength", TITLE_MAX_CHARS),
    ("post", TASKS, "body", "task_type", "maxLength", tasks.TASK_TYPE_MAX_CHARS),
    ("post", TASKS, "body", "tags", "maxItems", TAGS_MAX),
    ("post", TASKS, "body", "lease_seconds", "minimum", LEASE_MIN_SECONDS),
    ("post", TASKS, "body", "lease_seconds", "maximum", LEASE_MAX_SECONDS),
    ("post", TASKS, "body", "max_attempts", "maximum", ATTEMPTS_MAX),
    ("post", TASKS, "body", "idempotency_key", "maxLength", KEY_MAX_CHARS),
    ("post", TASKS + "/batch", "body", "tasks", "maxItems", BATCH_MAX_TASKS),
    ("get", TASKS, "query", "limit", "maximum", tasks.MAX_PAGE),
    ("get", TASKS, "query", "wait_seconds", "maximum", WAIT_MAX_SECONDS),
    ("post", "/api/v1/tasks/wait", "body", "timeout_seconds", "maximum", COMPLETION_WAIT_MAX_SECONDS),
    ("post", "/api/v1/tasks/wait", "body", "task_ids", "maxItems", BATCH_MAX_TASKS),
    ("patch", "/api/v1/tasks/{task_id}", "body", "current_action", "maxLength", SHORT_TEXT_MAX_CHARS),
    ("patch", "/api/v1/tasks/{task_id}", "body", "progress", "maximum", PROGRESS_MAX),
    ("post", "/api/v1/tasks/{task_id}/complete", "body", "tokens_in", "maximum", TOKENS_MAX),
    ("post", "/api/v1/tasks/{task_id}/complete", "body", "cost_usd", "maximum", COST_MAX_USD),
    ("post", "/api/v1/tasks/{task_id}/cancel", "body", "reason", "maxLength", SHORT_TEXT_MAX_CHARS),
    ("get", "/api/v1/messages/inbox", "query", "limit", "maximum", messages.MAX_PAGE),
    ("post", "/api/v1/messages/read", "body", "message_ids", "maxItems", messages.MARK_READ_MAX),
    ("post", "/api/v1/teams/{team_id}/sprints", "body", "stories", "maxItems", SPRINT_MAX_STORIES),
    ("post", "/api/v1/teams/{team_id}/questions", "body", "options", "maxItems", OPTIONS_MAX),
    ("post", "/api/v1/teams/{team_id}/questions", "body", "timeout_minutes", "minimum", TIMEOUT_MIN_MINUTES),
    ("post", "/api/v1/teams/{team_id}/questions", "body", "timeout_minutes", "maximum", TIMEOUT_MAX_MINUTES),
    ("post", "/api/v1/tasks/{task_id}/reviews", "body", "comments", "maxItems", COMMENTS_MAX),
    ("get", "/api/v1/teams/{team_id}/usage/summary", "query", "days", "maximum", SUMMARY_MAX_DAYS),
    ("patch", "/api/v1/settings/teams/{team_id}", "body", "max_attempts", "maximum", ATTEMPTS_MAX),
    ("patch", "/api/v1/agents/{agent_id}", "body", "model", "maxLength", teams.MODEL_MAX_CHARS),
    ("patch", "/api/v1/agents/{agent_id}", "body", "description", "maxLength", teams.DESCRIPTION_MAX_CHARS),
]
# Limits in UTF-8 bytes, which JSON Schema cannot state: the service checks them and the description says so.
IN_BYTES = [
    ("post", TASKS, "instructions"),
    ("post", "/api/v1/tasks/{task_id}/complete", "result"),
    ("post", "/api/v1/teams/{team_id}/messages", "message"),
    ("post", "/api/v1/teams/{team_id}/questions", "question"),
]


async def test_the_document_declares_exactly_the_services_limits(app: HubApp) -> None:
    document = app.api.openapi()
    found = {
        (method, path, field, keyword): _declared(_field_schema(document, method, path, where, field), keyword)
        for method, path, where, field, keyword, _ in DECLARED
    }
    assert found == {(method, path, field, keyword): limit for method, path, _, field, keyword, limit in DECLARED}


async def test_a_limit_in_bytes_is_described_and_not_declared_in_characters(app: HubApp) -> None:
    document = app.api.openapi()
    for method, path, field in IN_BYTES:
        schema = _field_schema(document, method, path, "body", field)
        assert _declared(schema, "maxLength") is None, (path, field)
        assert f"{TEXT_MAX_BYTES} bytes" in schema.get("description", ""), (path, field)


async def test_a_text_over_its_length_is_refused_as_the_service_refuses_it(
    app: HubApp, http: httpx.AsyncClient, world: World
) -> None:
    manager = await world.manager()
    before = await row_counts(world.hub)
    path = f"{API}/teams/{world.team.id}/tasks"
    response = await http.post(path, json={"title": "x" * (TITLE_MAX_CHARS + 1)}, headers=auth(manager.key))
    batch = await http.post(
        f"{path}/batch", json={"tasks": [{"title": "x" * (TITLE_MAX_CHARS + 1)}]}, headers=auth(manager.key)
    )
    async with mcp_client(app, manager.key) as client:
        through_mcp = await refused(client, "create_task", {"title": "x" * (TITLE_MAX_CHARS + 1)})
    error = error_of(response, 413, "too_large")
    assert error == through_mcp
    assert error["details"] == {"field": "title", "limit": TITLE_MAX_CHARS, "size": TITLE_MAX_CHARS + 1}
    assert error_of(batch, 413, "too_large")["details"]["field"] == "tasks.0.title"
    assert await row_counts(world.hub) == before


async def test_a_number_out_of_its_range_is_refused_with_422_naming_the_limit(
    http: httpx.AsyncClient, world: World
) -> None:
    before = await row_counts(world.hub)
    settings = await ok(http, "GET", f"/settings/teams/{world.team.id}", world.admin_key)
    for body, limit in (
        ({"lease_seconds": LEASE_MAX_SECONDS + 1}, LEASE_MAX_SECONDS),
        ({"lease_seconds": LEASE_MIN_SECONDS - 1}, LEASE_MIN_SECONDS),
        ({"max_attempts": ATTEMPTS_MAX + 1}, ATTEMPTS_MAX),
    ):
        response = await http.patch(f"{API}/settings/teams/{world.team.id}", json=body, headers=auth(world.admin_key))
        problems = error_of(response, 422, "invalid_input")["details"]["problems"]
        assert problems == [{"field": next(iter(body)), "problem": problems[0]["problem"], "limit": limit}]
    listed = await http.get(
        f"{API}/teams/{world.team.id}/tasks", params={"limit": tasks.MAX_PAGE + 1}, headers=auth(world.admin_key)
    )
    assert error_of(listed, 422, "invalid_input")["details"]["problems"][0]["limit"] == tasks.MAX_PAGE
    assert await ok(http, "GET", f"/settings/teams/{world.team.id}", world.admin_key) == settings
    assert await row_counts(world.hub) == before


async def test_too_many_items_are_refused_with_422_and_nothing_is_created(
    http: httpx.AsyncClient, world: World
) -> None:
    before = await row_counts(world.hub)
    body = {"tasks": [{"title": f"t{i}"} for i in range(BATCH_MAX_TASKS + 1)]}
    response = await http.post(f"{API}/teams/{world.team.id}/tasks/batch", json=body, headers=auth(world.admin_key))
    problems = error_of(response, 422, "invalid_input")["details"]["problems"]
    assert [(p["field"], p["limit"]) for p in problems] == [("tasks", BATCH_MAX_TASKS)]
    assert await row_counts(world.hub) == before


async def test_a_text_over_its_limit_in_bytes_is_still_refused_by_the_service(
    http: httpx.AsyncClient, world: World
) -> None:
    before = await row_counts(world.hub)
    wide = "é" * (TEXT_MAX_BYTES // 2 + 1)  # fewer characters than the limit, more bytes
    response = await http.post(
        f"{API}/teams/{world.team.id}/tasks", json={"title": "t", "instructions": wide}, headers=auth(world.admin_key)
    )
    error = error_of(response, 413, "too_large")
    assert error["details"] == {"field": "instructions", "limit": TEXT_MAX_BYTES, "size": len(wide.encode())}
    assert await row_counts(world.hub) == before


def _field_schema(document: dict[str, Any], method: str, path: str, where: str, field: str) -> dict[str, Any]:
    operation = document["paths"][path][method]
    if where == "body":
        body = _resolved(document, operation["requestBody"]["content"]["application/json"]["schema"])
        return _resolved(document, body["properties"][field])
    (parameter,) = [p for p in operation["parameters"] if p["in"] == where and p["name"] == field]
    return _resolved(document, parameter["schema"])


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolved(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    for branch in schema.get("anyOf", []):  # an optional body or field: the branch that is not null
        if branch.get("type") != "null":
            return {**_resolved(document, branch), **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


def _declared(schema: dict[str, Any], keyword: str) -> Any:
    branches = [schema, *schema.get("anyOf", [])]
    values = [branch[keyword] for branch in branches if keyword in branch]
    return values[0] if values else None
