"""Authentication shared by REST and MCP over HTTP: a bearer key, or the dashboard's session cookie standing for
the admin key it was opened with; and per-key rate limits."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request

from switchboard.errors import Forbidden, Unauthorized
from switchboard.hub import Hub
from switchboard.teams.models import Principal

PRINCIPAL_STATE = "switchboard_principal"
SESSION_COOKIE = "switchboard_session"
# The dashboard sends this header with every change it asks for. A page of another site cannot send it (that
# would need CORS, which the hub never grants), so a cookie alone never authorises a change.
CSRF_HEADER = "X-Switchboard-CSRF"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


async def authenticate_session(hub: Hub, request: Request, token: str) -> Principal:
    """The admin behind a dashboard session cookie; a change must come from the dashboard's own pages."""
    if request.method not in SAFE_METHODS:
        if not request.headers.get(CSRF_HEADER):
            raise Forbidden(f"a change made with the dashboard's cookie needs the {CSRF_HEADER} header")
        ensure_same_origin(request)
    principal = await hub.web_sessions.authenticate(token)
    hub.rate_limiter.check(principal.key_id)
    return principal


def ensure_same_origin(request: Request) -> None:
    """Refuse a browser request sent by a page of another site (its Origin, or Referer, names another host)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    # The host alone: behind a proxy that ends TLS the hub sees http while the browser says https.
    if source == "null" or urlsplit(source).netloc != request.headers.get("host"):
        raise Forbidden("this request came from a page of another site")


async def request_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller, computed once per request."""
    cached = getattr(request.state, PRINCIPAL_STATE, None)
    if isinstance(cached, Principal):
        return cached
    hub: Hub = request.app.state.hub
    session = request.cookies.get(SESSION_COOKIE)
    if bearer_key(request.headers) is None and session:
        principal = await authenticate_session(hub, request, session)
    else:
        principal = await authenticate(hub, request.headers)
    setattr(request.state, PRINCIPAL_STATE, principal)
    return principal
