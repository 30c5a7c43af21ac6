"""The one error root. Every transport maps these once: HTTP status, MCP tool error, CLI exit code."""

from __future__ import annotations

from typing import Any


class SwitchboardError(Exception):
    """Something went wrong."""

    code = "error"
    http_status = 400

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message or (self.__doc__ or self.code).strip())
        self.message = message or (self.__doc__ or self.code).strip()
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInput(SwitchboardError):
    """The request is not valid."""

    code = "invalid_input"
    http_status = 422


class Unauthorized(SwitchboardError):
    """A valid API key is required: send `Authorization: Bearer <key>`."""

    code = "unauthorized"
    http_status = 401


class Forbidden(SwitchboardError):
    """Your key is not allowed to do this."""

    code = "forbidden"
    http_status = 403


class NotFound(SwitchboardError):
    """No such object in your team."""

    code = "not_found"
    http_status = 404


class Conflict(SwitchboardError):
    """The object is not in a state that allows this."""

    code = "conflict"
    http_status = 409


class LimitExceeded(SwitchboardError):
    """A team limit (daily cost or concurrent agents) is reached; a manager may raise it in the team's settings."""

    code = "limit_exceeded"
    http_status = 409


class TooLarge(SwitchboardError):
    """A value is larger than the hub accepts."""

    code = "too_large"
    http_status = 413


class RateLimited(SwitchboardError):
    """Too many requests for this key; retry later."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        super().__init__(message, retry_after_seconds=round(retry_after, 3))
        self.retry_after = retry_after


class Unavailable(SwitchboardError):
    """The database is unreachable; retry later."""

    code = "unavailable"
    http_status = 503
