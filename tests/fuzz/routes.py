"""The hub's REST routes and MCP tools as the app itself lists them, and team A's objects to aim them at."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts

from switchboard.api.app import HubApp
from switchboard.messages.models import MessageDraft
from switchboard.sprints.models import StoryDraft
from switchboard.tasks.models import TaskDraft
from tests.conftest import Member, World

PARAM = re.compile(r"{(\w+)}")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Route:
    method: str
    path: str

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    def url(self, values: dict[str, Any]) -> str:
        return PARAM.sub(lambda m: str(values[m.group(1)]), self.path)


def api_routes(app: HubApp) -> list[Route]:
    """Every method of every route under /api/v1, from the app's route table."""
    routes = [
        Route(method, context.path)
        for context in iter_route_contexts(app.api.routes)
        if context.path.startswith("/api/v1/")
        for method in sorted(getattr(context, "methods", None) or ())
        if method != "HEAD"
    ]
    assert len(routes) > 50
    return routes


@dataclass
class TeamObjects:
    """One object of each kind in team A, by the name routes and tools give its id."""

    ids: dict[str, Any]
    member: Member


async def team_objects(world: World) -> TeamObjects:
    hub = world.hub
    manager = await world.manager()
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(manager.principal, TaskDraft(title="secret task"), world.team.id)
    message = await hub.messages.send_message(
        manager.principal, MessageDraft(target=builder.name, message="secret note"), world.team.id
    )
    sprint = await hub.sprints.create_sprint(
        manager.principal, "secret sprint", None, [StoryDraft(title="story")], team_id=world.team.id
    )
    question = await hub.questions.ask_human(builder.principal, "secret question?", team_id=world.team.id)
    alert = await hub.questions.alerts.send_alert(builder.principal, "secret alert", team_id=world.team.id)
    await hub.sessions.update_session(builder.principal, "shared-session", "running", 10, {"a": 1}, "working")
    webhook = await hub.webhooks.register(manager.principal, world.team.id, "https://example.test/hook", "*")
    ids: dict[str, Any] = {
        "org_id": world.team.org_id,
        "team_id": world.team.id,
        "task_id": task.id,
        "agent_id": builder.id,
        "agent": builder.name,
        "message_id": message.id,
        "sprint_id": sprint.id,
        "story_id": sprint.stories[0].story_id,
        "question_id": question.id,
        "alert_id": alert.id,
        "webhook_id": webhook.webhook.id,
        "key_id": builder.principal.key_id,
        "name": "builders",
        "session_id": "shared-session",
        "repository_id": 1,
        "turn_id": 1,
        "role": "engineer",
    }
    return TeamObjects(ids, manager)


def ghost_ids(ids: dict[str, Any]) -> dict[str, Any]:
    """Ids of the same kinds that name nothing at all."""
    return {name: 2_000_000_000 if isinstance(value, int) else "ghost-0" for name, value in ids.items()}


def request_body(app: HubApp, route: Route) -> dict[str, Any] | None:
    """A body with each required field of the route's JSON schema given a stand-in, so that the request gets
    past validation to the point where the route looks the object up."""
    if route.method not in BODY_METHODS:
        return None
    document = app.api.openapi()
    operation = document["paths"].get(route.path, {}).get(route.method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return {}
    return _stand_in(document, content["schema"])


def _stand_in(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    props = schema.get("properties", {})
    return {name: _value(document, props.get(name, {})) for name in schema.get("required", [])}


def _value(document: dict[str, Any], prop: dict[str, Any]) -> Any:
    if "$ref" in prop:
        return _stand_in(document, prop)
    for branch in prop.get("anyOf", []):
        if branch.get("type") != "null":
            return _value(document, branch)
    kind = prop.get("type", "string")
    if "enum" in prop:
        return prop["enum"][0]
    if kind == "array":
        item = prop.get("items", {})
        return [_value(document, item)] if item else []
    return STAND_INS.get(kind, "probe")


STAND_INS: dict[str, Any] = {"string": "probe", "integer": 1, "number": 1, "boolean": False, "object": {}}
