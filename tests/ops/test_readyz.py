"""/readyz: ready when the database answers, its migrations are at head and (PostgreSQL) the listener is up."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from switchboard import health
from switchboard.api.app import HubApp, create_app
from switchboard.config import Settings
from switchboard.hub import Hub
from switchboard.storage.notifier import PostgresNotifier


async def listening(hub: Hub) -> None:
    if isinstance(hub.notifier, PostgresNotifier):
        with anyio.fail_after(5):
            await hub.notifier.listening.wait()


async def test_readyz_is_ready_when_the_database_answers_at_head(hub: Hub, http: httpx.AsyncClient) -> None:
    await listening(hub)

    response = await http.get("/readyz")

    assert response.status_code == 200
    expected = {"database": "ok", "migrations": "ok"}
    if isinstance(hub.notifier, PostgresNotifier):
        expected["listener"] = "ok"
    assert response.json() == {"status": "ready", "checks": expected}


async def test_readyz_names_migrations_that_are_not_at_head(
    hub: Hub, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await listening(hub)
    monkeypatch.setattr(health, "_head", lambda: "a_newer_revision")

    response = await http.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready" and body["checks"]["database"] == "ok"
    assert "expected a_newer_revision" in body["checks"]["migrations"]


@pytest.mark.postgres
async def test_readyz_is_not_ready_while_the_listener_is_down(hub: Hub, http: httpx.AsyncClient) -> None:
    await listening(hub)
    await hub.notifier.close()

    response = await http.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["listener"] == "not listening for other hubs' changes"
    await hub.start_listening()
    await listening(hub)
    assert (await http.get("/readyz")).status_code == 200


async def test_readyz_is_not_ready_and_counts_the_error_when_the_database_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'hub.db'}")
    hub = Hub(settings)
    app = create_app(hub, periodic=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            response = await http.get("/readyz")
            metrics = await http.get("/metrics")
    finally:
        await hub.close()

    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("database unavailable")
    assert "switchboard_database_errors_total 2.0" in metrics.text  # the readiness check, then the scrape


async def test_readyz_and_metrics_stay_out_of_the_api_document(app: HubApp) -> None:
    paths = app.api.openapi()["paths"]

    assert "/readyz" not in paths and "/metrics" not in paths and "/healthz" not in paths
