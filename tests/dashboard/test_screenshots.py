"""Screenshots of every page at desktop width, from a seeded demo team, for the README (docs/screenshots/)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.dashboard.browser import PHONE, sign_in
from tests.dashboard.demo import seed_demo
from tests.live_hub import LiveHub, live_hub_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# `make screenshots` writes them where the README shows them; an ordinary test run leaves the repository alone.
DOCS = Path(__file__).parents[2] / "docs" / "screenshots"
SCREENSHOTS = DOCS if os.environ.get("SWITCHBOARD_SCREENSHOTS") == "docs" else Path(tempfile.mkdtemp(prefix="shots-"))


@pytest.fixture(scope="module", params=["sqlite"])
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def shoot(page: Page, name: str) -> None:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, animations="disabled")
    assert path.stat().st_size > 10_000, f"{path} looks empty"


def test_screenshots_of_each_page_from_a_seeded_demo_team(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    demo = seed_demo(live_hub)
    team = demo.team

    sign_in_page = browser.new_page(viewport={"width": 1440, "height": 900})
    sign_in_page.goto(f"{live_hub.url}/dashboard/login")
    shoot(sign_in_page, "sign-in")
    sign_in_page.context.close()

    page = sign_in(browser, live_hub)
    expected = {
        "board": [
            page.locator('[data-column="claimed"] .card').first,
            page.locator('[data-column="in_review"] .card', has_text="review by reviewer"),
            page.locator("#pending-count"),
        ],
        f"tasks/{demo.tasks['api']}": [
            page.get_by_role("heading", name="Timeline"),
            page.locator(".review .verdict.changes_requested"),
            page.locator(".turn pre.output").first,
        ],
        "graph": [page.locator("svg.graph a.node").first],
        "sprints": [page.locator(".wave .story").first],
        "agents": [page.locator("tr[data-agent='builder'] .turn-line").nth(1), page.locator(".turn-failed")],
        "messages": [page.locator(".message").first],
        "questions": [page.locator(".question .options button").first],
        "costs": [page.locator("svg.chart rect.bar").first],
        "settings": [page.locator("tr[data-key-id]").first],
    }
    for route, shown in expected.items():
        team.page(page, route)
        for locator in shown:
            expect(locator).to_be_visible()
        if route == "settings":
            page.get_by_label("Agent", exact=True).fill("designer")
            page.get_by_role("button", name="Create key").click()
            expect(page.locator("#new-mcp-json")).to_be_visible()
        shoot(page, "task" if route.startswith("tasks/") else route)

    team.page(page, "board")
    expect(page.locator('[data-column="ready"] .card').first).to_be_visible()
    team.call(
        "POST",
        f"/teams/{team.id}/alerts",
        team.keys["builder"],
        message="CI is red on feature/payments",
        priority="high",
    )
    expect(page.locator("#toasts .toast").first).to_be_visible()
    shoot(page, "board-alert")
    page.context.close()

    dark = sign_in(browser, live_hub, color_scheme="dark")
    team.page(dark, "graph")
    expect(dark.locator("svg.graph a.node").first).to_be_visible()
    shoot(dark, "graph-dark")
    dark.context.close()

    phone = sign_in(browser, live_hub, viewport=PHONE, is_mobile=True, has_touch=True)
    team.page(phone, "board")
    expect(phone.locator('[data-column="blocked"] .card').first).to_be_visible()
    shoot(phone, "board-phone")
    phone.context.close()
