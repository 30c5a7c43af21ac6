"""Bearer-key authentication and per-key rate limits, shared by REST and MCP over HTTP."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from switchboard.errors import Unauthorized
from switchboard.hub import Hub
from switchboard.teams.models import Principal

PRINCIPAL_STATE = "switchboard_principal"


def bearer_key(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(hub: Hub, headers: Mapping[str, str]) -> Principal:
    """The caller behind the request's bearer key, within its rate limit."""
    key = bearer_key(headers)
    if key is None:
        raise Unauthorized("send your API key as `Authorization: Bearer <key>`")
    principal = await hub.keys.authenticate(key)
    hub.rate_limiter.check(principal.key_id)
    return principal


async def request_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller, computed once per request."""
    cached = getattr(request.state, PRINCIPAL_STATE, None)
    if isinstance(cached, Principal):
        return cached
    hub: Hub = request.app.state.hub
    principal = await authenticate(hub, request.headers)
    setattr(request.state, PRINCIPAL_STATE, principal)
    return principal
