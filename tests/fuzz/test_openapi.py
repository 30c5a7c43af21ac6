"""Schemathesis against the hub's own OpenAPI document, in-process on both backends.

For every operation the document lists, requests are drawn from its declared parameters and body, valid ones and
broken ones, sent with an admin key, an agent key, a manager key or none, and aimed now at a team's own objects
and now at whatever ids were drawn. No answer is a 5xx, every refusal has the error shape
`{"error": {"code", "message", "details"}}`, and every answer has a status and a body the document declares.

`SWITCHBOARD_FUZZ_EXAMPLES` sets the requests per operation for a deeper run than CI's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from switchboard.api.app import HubApp, create_app
from tests.conftest import World
from tests.fuzz.portal import PortalHub, portal_hub
from tests.fuzz.routes import team_objects

__all__ = ["portal_hub"]

# Requests per operation: PostgreSQL's run is smaller, to keep the suite's time; a deeper run sets the variable.
EXAMPLES = {"sqlite": 12, "postgres": 8}
# A wait the generator draws (up to 300 s, or an hour for /tasks/wait) would only burn the time budget: waiting is
# tested on its own. Values out of range are sent as drawn, so that their refusal is still checked.
LONGEST_WAITS = {"wait_seconds": 300, "timeout_seconds": 3600}
SHORT_WAIT = 0.05
# The live stream never ends; its opening (the key, the team, Last-Event-ID) is checked by the stream's own tests.
SKIPPED = {("GET", "/api/v1/teams/{team_id}/events/stream")}


@schemathesis.check
def refusal_has_the_error_shape(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx answers `{"error": {"code": str, "message": str, "details": object}}` and nothing else."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error shape: {response.text[:300]}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}, f"error fields: {error}"
    assert isinstance(error["code"], str) and error["code"], f"error code: {error}"
    assert isinstance(error["message"], str) and error["message"], f"error message: {error}"
    assert isinstance(error["details"], dict), f"error details: {error}"
    return True


CHECKS = [
    not_a_server_error,
    refusal_has_the_error_shape,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Targets:
    """A team of its own with one object of each kind, and keys of each sort (None: no key)."""

    ids: dict[str, Any]
    keys: dict[str, str | None]


@dataclass
class Fuzzing:
    """The app on the portal's event loop and an HTTP client on it."""

    env: PortalHub
    app: HubApp
    client: httpx.AsyncClient
    # Authenticated once: the generator may well revoke the hub's first admin key (its id is 1) along the way.
    admin: World
    accepted: set[str] = field(default_factory=set)

    def send(self, case: Case, key: str | None) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        headers = {k: v for k, v in kwargs["headers"].items() if k.lower() != "authorization"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        request = self.client.build_request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers=headers,
            cookies=kwargs.get("cookies"),
            json=kwargs.get("json"),
            content=_content(kwargs.get("data")),
        )
        response = self.env.call(self.client.send, request)
        if response.is_success:
            self.accepted.add(case.operation.label)
        return response

    def new_targets(self) -> Targets:
        return self.env.call(_targets, self.admin)


async def _targets(admin: World) -> Targets:
    world = await admin.other_team()
    objects = await team_objects(world)
    fuzz_admin = await world.hub.keys.create_admin_key(world.admin, "fuzz admin")
    agent = await world.agent("fuzzer")
    keys = {"admin": fuzz_admin.plaintext, "agent": agent.key, "manager": objects.member.key, "none": None}
    return Targets(objects.ids, keys)


def _content(data: Any) -> bytes | str | None:
    if data is None or isinstance(data, bytes | str):
        return data
    raise AssertionError(f"a body the test cannot send: {data!r}")


@pytest.fixture
def fuzzing(portal_hub: PortalHub) -> Iterator[Fuzzing]:
    portal = portal_hub.portal
    app = create_app(portal_hub.hub, periodic=False)
    client = portal.call(_client, app)
    with portal.wrap_async_context_manager(app.running()), portal.wrap_async_context_manager(client):
        yield Fuzzing(portal_hub, app, client, portal_hub.new_world())


async def _client(app: HubApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=30)


def aim(case: Case, targets: Targets, known: bool) -> None:
    """Point the case's path at the team's own objects (when `known`), and cut long waits short."""
    if known:
        case.path_parameters = {name: targets.ids.get(name, value) for name, value in case.path_parameters.items()}
    for container in (case.query, case.body):
        if not isinstance(container, dict):
            continue
        for name, longest in LONGEST_WAITS.items():
            value = container.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and SHORT_WAIT < value <= longest:
                container[name] = SHORT_WAIT


def fuzz(fuzzing: Fuzzing, operation: APIOperation, examples: int) -> None:
    targets = fuzzing.new_targets()
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, who=st.sampled_from(sorted(targets.keys)), known=st.booleans())
    def run(case: Case, who: str, known: bool) -> None:
        aim(case, targets, known)
        note(f"as {who}: {case.as_curl_command()}")
        response = fuzzing.send(case, targets.keys[who])
        case.validate_response(response, checks=CHECKS)

    run()


def test_every_operation_answers_without_5xx_and_refuses_in_the_error_shape(
    fuzzing: Fuzzing, database_url: str
) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    examples = int(os.environ.get("SWITCHBOARD_FUZZ_EXAMPLES", EXAMPLES[backend]))
    schema = schemathesis.openapi.from_dict(fuzzing.app.api.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 90
    failures = []
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        try:
            fuzz(fuzzing, operation, examples)
        except (Exception, BaseExceptionGroup) as exc:  # each operation's first failure, shrunk: one run shows all
            failures.append(f"{operation.label}: {exc}")
    assert failures == [], "\n\n".join(failures)
    # The keys got the requests past authentication into the handlers, for most operations.
    assert len(fuzzing.accepted) > len(operations) // 2, sorted(fuzzing.accepted)
