"""A small client for a running hub's REST API, used by the CLI and the examples."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"


class HubRefused(Exception):
    """The hub answered with an error: `{"error": {"code", "message", "details"}}`."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{message} ({code}, HTTP {status})")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    @classmethod
    def from_response(cls, response: httpx.Response) -> HubRefused:
        try:
            error = response.json()["error"]
            return cls(response.status_code, str(error["code"]), str(error["message"]), error.get("details"))
        except (ValueError, KeyError, TypeError):
            return cls(response.status_code, "http_error", response.text.strip() or response.reason_phrase)


class HubUnreachable(Exception):
    """No hub answered at the URL."""


def default_key(data_dir: Path | None = None) -> str | None:
    """SWITCHBOARD_KEY, else the local admin key that `switchboard serve` wrote to the data directory."""
    key = os.environ.get("SWITCHBOARD_KEY", "").strip()
    if key:
        return key
    path = (data_dir or Path(os.environ.get("SWITCHBOARD_DATA_DIR", ".data"))) / "admin.key"
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


class HubClient:
    """JSON over HTTP to `<url>/api/v1`; every error answer raises `HubRefused`."""

    def __init__(self, url: str, key: str | None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=timeout)

    def get(self, path: str, **params: Any) -> Any:
        return self._request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._request("POST", path, json=body if body is not None else {})

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise HubUnreachable(f"no hub answered at {self.url} ({exc})") from exc
        if response.is_error:
            raise HubRefused.from_response(response)
        return response.json() if response.content else None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
