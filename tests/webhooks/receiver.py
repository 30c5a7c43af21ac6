"""A real HTTP server on a free local port that records the webhook deliveries it receives."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from switchboard.webhooks.signing import verify


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    @property
    def event(self) -> str:
        return self.headers["x-switchboard-event"]

    def signed_with(self, secret: str) -> bool:
        timestamp = int(self.headers["x-switchboard-timestamp"])
        return verify(secret, timestamp, self.body, self.headers["x-switchboard-signature"])


@dataclass
class Receiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    # Status codes to answer with, in order; once used up, 200.
    answers: list[int] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def events(self) -> list[str]:
        with self.arrived:
            return [r.event for r in self.received]

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """Block until `count` deliveries have arrived (for a hub in another process, whose timing is its own)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout), self.received
            return list(self.received)

    async def record(self, request: Request) -> JSONResponse:
        body = await request.body()
        with self.arrived:
            self.received.append(Received(dict(request.headers), body))
            status = self.answers.pop(0) if self.answers else 200
            self.arrived.notify_all()
        return JSONResponse({"ok": status < 300}, status_code=status)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    started = threading.Event()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        started.set()
        yield

    app = Starlette(routes=[Route("/hook", receiver.record, methods=["POST"])], lifespan=lifespan)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    # Listening before the server starts: a delivery sent early waits in the backlog instead of being refused.
    sock.listen(64)
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert started.wait(5), "the receiver did not start"
        yield receiver
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()
