"""One error shape for every HTTP answer: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from switchboard.api.disconnects import ClientDisconnected
from switchboard.errors import RateLimited, SwitchboardError
from switchboard.limits import too_many_chars


class ErrorFields(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    """What every refusal answers."""

    error: ErrorFields


# Declared on every route of the API, so the document names the refusals the routes really answer (and not
# FastAPI's own validation shape, which the handler below replaces).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "Refused: bad input, no key or key not allowed, not found, ..."},
    503: {"model": ErrorBody, "description": "The database is unavailable; retry shortly."},
}


def error_response(exc: SwitchboardError) -> JSONResponse:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(1, round(exc.retry_after + 0.5)))
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.http_status == 503:
        headers["Retry-After"] = "1"
    return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status, headers=headers)


def plain_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details or {}}}, status_code=status)


def validation_refusal(errors: Sequence[Any]) -> JSONResponse:
    """What a request the API's declared types refuse answers: a text over its declared length exactly as the
    services refuse it (413 too_large), anything else 422 with each problem and, for a declared limit, the limit."""
    if errors and all(err["type"] == "string_too_long" for err in errors):
        first = errors[0]
        field = ".".join(str(p) for p in first["loc"][1:])
        return error_response(too_many_chars(field, len(first["input"]), first["ctx"]["max_length"]))
    problems = [_problem(err) for err in errors]
    summary = "; ".join(f"{p['field'] or 'body'}: {p['problem']}" for p in problems[:5])
    return plain_error(422, "invalid_input", f"invalid request: {summary}", {"problems": problems})


def _problem(err: Any) -> dict[str, Any]:
    problem = {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "problem": err["msg"]}
    bounds = [value for name, value in err.get("ctx", {}).items() if name in LIMIT_NAMES]
    if bounds:
        problem["limit"] = bounds[0]
    return problem


# What proxies log for a request whose client hung up before it was answered.
CLIENT_CLOSED_REQUEST = 499

# The names pydantic gives a declared limit in an error's context.
LIMIT_NAMES = frozenset({"max_length", "min_length", "ge", "le", "gt", "lt"})


def install_error_handlers(app: FastAPI) -> None:
    async def on_switchboard_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, SwitchboardError)
        return error_response(exc)

    async def on_validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return validation_refusal(exc.errors())

    async def on_http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
        return plain_error(exc.status_code, code, str(exc.detail))

    async def on_client_disconnected(_: Request, exc: Exception) -> Response:
        # No one reads it; the status says why in the access log.
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    app.add_exception_handler(SwitchboardError, on_switchboard_error)
    app.add_exception_handler(ClientDisconnected, on_client_disconnected)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
