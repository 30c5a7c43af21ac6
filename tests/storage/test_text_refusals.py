"""Text PostgreSQL cannot store (the NUL character) is refused as bad input, and nothing is written."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import World, auth
from tests.fuzz.shapes import row_counts


@pytest.mark.postgres
async def test_a_nul_character_in_text_or_in_json_answers_422_and_writes_nothing(
    world: World, http: httpx.AsyncClient
) -> None:
    builder = await world.agent("builder")
    before = await row_counts(world.hub)

    task = await http.post(f"/api/v1/teams/{world.team.id}/tasks", json={"title": "a\x00b"}, headers=auth(builder.key))
    session = await http.put(
        "/api/v1/sessions/s1", json={"status": "running", "state": {"\x00": None}}, headers=auth(builder.key)
    )

    for response in (task, session):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_input"
        assert "NUL" in response.json()["error"]["message"]
    assert await row_counts(world.hub) == before


@pytest.mark.postgres
async def test_a_nul_character_in_a_query_filter_answers_422(world: World, http: httpx.AsyncClient) -> None:
    response = await http.get(
        f"/api/v1/teams/{world.team.id}/tasks", params={"target": "a\x00b"}, headers=auth(world.admin_key)
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
