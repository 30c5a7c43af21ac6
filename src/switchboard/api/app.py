"""The ASGI application: REST under /api/v1, MCP at /mcp and /v1/mcp, the dashboard at /dashboard, one hub behind
them all."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard import __version__
from switchboard.api.auth import PRINCIPAL_STATE, authenticate
from switchboard.api.errors import error_response, install_error_handlers, plain_error
from switchboard.api.mcp import build_mcp_server, mcp_http_app
from switchboard.api.observing import MCP_PATHS, RequestObserver
from switchboard.api.rest import router
from switchboard.dashboard.pages import install_dashboard
from switchboard.dispatch.dispatcher import Dispatcher
from switchboard.errors import SwitchboardError, Unavailable
from switchboard.health import readiness
from switchboard.hub import Hub
from switchboard.limits import REQUEST_BODY_MAX_BYTES


def create_app(
    hub: Hub,
    *,
    periodic: bool = True,
    dispatcher: Dispatcher | None = None,
    leading: Callable[[], Awaitable[None]] | None = None,
) -> HubApp:
    """The hub's web app. `periodic` runs the lease sweep while the app is up; so does `dispatcher`, if given.
    With `leading`, they wait for it to return first (one worker of several leads)."""
    mcp = build_mcp_server(hub)
    mcp_app = mcp_http_app(mcp)

    async def background() -> None:
        if leading is not None:
            await leading()
        async with anyio.create_task_group() as tg:
            if periodic:
                tg.start_soon(hub.run_periodic)
            if dispatcher is not None:
                tg.start_soon(dispatcher.run)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await hub.start_listening()
        async with anyio.create_task_group() as tg, mcp.session_manager.run():
            tg.start_soon(background)
            yield
            tg.cancel_scope.cancel()

    api = FastAPI(
        title="Switchboard",
        version=__version__,
        description="Coordination hub for teams of AI coding agents. Every call needs `Authorization: Bearer <key>`.",
        lifespan=lifespan,
    )
    api.state.hub = hub
    install_error_handlers(api)
    api.include_router(router)
    install_dashboard(api)

    @api.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str | int]:
        # The process that answered: one of several under `serve --workers`.
        return {"status": "ok", "pid": os.getpid()}

    @api.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await readiness(hub.db)
        ready = all(state == "ok" for state in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503)

    @api.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        # Counters still answer when the database does not; the database gauges keep their last values.
        with contextlib.suppress(SwitchboardError):
            await hub.metrics.refresh(hub.db)
        return Response(hub.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return HubApp(api, RequestObserver(BodyLimit(McpGateway(api, mcp_app, hub)), hub.metrics))


class HubApp:
    """The ASGI app, with the FastAPI part at hand for its OpenAPI document and lifespan."""

    def __init__(self, api: FastAPI, asgi: ASGIApp) -> None:
        self.api = api
        self._asgi = asgi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)

    def running(self) -> AbstractAsyncContextManager[None]:
        """Run the app's lifespan (MCP sessions, periodic work) without a server, as in-process tests do."""
        return self.api.router.lifespan_context(self.api)  # type: ignore[return-value]


class McpGateway:
    """Sends /mcp and /v1/mcp to the MCP app after authenticating the key; everything else to REST."""

    def __init__(self, rest: ASGIApp, mcp: ASGIApp, hub: Hub) -> None:
        self.rest = rest
        self.mcp = mcp
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").rstrip("/")
        if scope["type"] != "http" or path not in MCP_PATHS:
            await self.rest(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        # The request's own state (RequestObserver gives each one a copy), so the access log sees the caller.
        state = scope.setdefault("state", {})
        try:
            state[PRINCIPAL_STATE] = await authenticate(self.hub, headers)
        except Unavailable as exc:
            # The key cannot be checked while the database is down. An MCP client takes an HTTP error for a broken
            # transport, so the call goes on and each tool answers with this error as its result (tools/list,
            # the same for every caller, still answers).
            state[PRINCIPAL_STATE] = exc
        except SwitchboardError as exc:
            await error_response(exc)(scope, receive, send)
            return
        await self.mcp({**scope, "path": "/mcp", "raw_path": b"/mcp", "state": state}, receive, send)


class BodyLimit:
    """Refuses request bodies over 2 MiB with 413 before they reach a handler."""

    def __init__(self, app: ASGIApp, limit: int = REQUEST_BODY_MAX_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"request body is over {self.limit} bytes"
        await plain_error(413, "too_large", message, {"limit": self.limit})(scope, receive, send)


class _TooLarge(Exception):
    pass
