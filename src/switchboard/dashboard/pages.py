"""The dashboard's pages and sign-in, served by the hub at /dashboard. The page itself reads the REST API and the
team's event stream with the session cookie set here."""

from __future__ import annotations

import hashlib
import html
import logging
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from switchboard.api.auth import SESSION_COOKIE, ensure_same_origin
from switchboard.dashboard.sessions import SESSION_SECONDS, OpenedSession
from switchboard.errors import SwitchboardError
from switchboard.hub import Hub

STATIC_DIR = Path(__file__).parent / "static"
HOME = "/dashboard"


def _assets_version() -> str:
    """A digest of every asset: a changed file gets a new URL, so browsers may keep the files for good."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


# Module imports in the scripts are relative, so they stay under this versioned folder too.
ASSETS = f"{HOME}/static/{_assets_version()}"
SIGN_IN = f"{HOME}/login"
SIGN_IN_FORM_MAX_BYTES = 4096
PAGE_HEADERS = {
    # Every script, style and request is the hub's own: nothing injected into a task's title can run.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

router = APIRouter(include_in_schema=False)


def install_dashboard(api: FastAPI) -> None:
    """Serve the dashboard from `api`: its pages, sign-in and sign-out, and its static files."""
    api.include_router(router)
    api.mount(ASSETS, VersionedFiles(directory=STATIC_DIR), name="dashboard-static")
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideSignInTokens) for f in access_log.filters):
        access_log.addFilter(HideSignInTokens())


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get(HOME)
async def dashboard(request: Request) -> Response:
    if not await _signed_in(request):
        return RedirectResponse(SIGN_IN, status_code=303)
    return HTMLResponse(_page("index.html"), headers=PAGE_HEADERS)


@router.get(SIGN_IN)
async def sign_in_page(request: Request) -> Response:
    if await _signed_in(request):
        return RedirectResponse(HOME, status_code=303)
    return _sign_in_page()


@router.post(SIGN_IN)
async def sign_in(request: Request) -> Response:
    """The sign-in form posts the admin key in its body, so it never shows in a URL or a log."""
    try:
        ensure_same_origin(request)
        body = await request.body()
        fields = parse_qs(body[:SIGN_IN_FORM_MAX_BYTES].decode("utf-8", "replace"))
        key = (fields.get("key") or [""])[0]
        if not key.strip():
            return _sign_in_page("Paste an admin key to sign in.", 400)
        opened = await _hub(request).web_sessions.sign_in(key)
    except SwitchboardError as exc:
        return _sign_in_page(exc.message, exc.http_status)
    return _signed_in_response(request, opened)


@router.get(SIGN_IN + "/{token}")
async def sign_in_with_link(request: Request, token: str) -> Response:
    """A one-time link from `switchboard dashboard`; the browser then goes on to a URL without the token."""
    try:
        opened = await _hub(request).web_sessions.redeem_login_link(token)
    except SwitchboardError as exc:
        return _sign_in_page(exc.message, exc.http_status)
    return _signed_in_response(request, opened)


@router.post(f"{HOME}/logout")
async def sign_out(request: Request) -> Response:
    try:
        ensure_same_origin(request)
    except SwitchboardError as exc:
        return _sign_in_page(exc.message, exc.http_status)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await _hub(request).web_sessions.sign_out(token)
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


class VersionedFiles(StaticFiles):
    """The assets under their versioned folder: they never change there, so a browser asks for each only once."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class HideSignInTokens(logging.Filter):
    """Keeps one-time sign-in tokens out of the access log: the link is a credential until it is used."""

    pattern = re.compile(r"(/dashboard/login/)[^/?\s]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.pattern.sub(r"\1…", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def _signed_in(request: Request) -> bool:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    try:
        await _hub(request).web_sessions.authenticate(token)
    except SwitchboardError:
        return False
    return True


def _signed_in_response(request: Request, opened: OpenedSession) -> Response:
    response = RedirectResponse(HOME, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def _sign_in_page(error: str = "", status: int = 200) -> HTMLResponse:
    page = _page("login.html").replace("{{error}}", html.escape(error))
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


@cache
def _page(name: str) -> str:
    return (STATIC_DIR / name).read_text().replace("{{assets}}", ASSETS)
