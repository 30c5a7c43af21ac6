"""The board follows the team live, on SQLite and on PostgreSQL: no reload, the event stream moves the cards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.dashboard.browser import new_team, sign_in
from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def test_a_task_created_through_the_api_appears_and_moves_columns_as_an_agent_works_on_it(
    browser: Browser, live_hub: LiveHub
) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    builder = team.agent("builder")
    page = sign_in(browser, live_hub)
    team.page(page, "board")
    expect(page.locator('[data-column="ready"]')).to_be_visible()
    page.evaluate("window.notReloaded = true")

    task = team.call("POST", f"/teams/{team.id}/tasks", title="Add /api/users endpoint", priority="high")
    card = page.locator(f'[data-task-id="{task["id"]}"]')
    expect(page.locator(f'[data-column="ready"] [data-task-id="{task["id"]}"]')).to_contain_text("Add /api/users")

    team.call("POST", f"/tasks/{task['id']}/claim", builder)
    expect(page.locator(f'[data-column="claimed"] [data-task-id="{task["id"]}"]')).to_contain_text("held by builder")

    team.call("PATCH", f"/tasks/{task['id']}", builder, progress=60, current_action="writing the handler")
    expect(card).to_contain_text("writing the handler")

    team.call("POST", f"/tasks/{task['id']}/complete", builder, completed_status="SUCCESS", result="PR #42")
    expect(page.locator(f'[data-column="done"] [data-task-id="{task["id"]}"]')).to_be_visible()
    expect(card).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True
