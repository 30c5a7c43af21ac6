"""The dashboard's pages in Chromium against a real hub: sign-in and sign-out, answering questions, keys, the
graph, notifications, phone width and the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.dashboard.browser import PHONE, agent_call, in_background, new_team, sign_in
from tests.live_hub import LiveHub, live_hub_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module", params=["sqlite"])
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def test_a_wrong_key_is_refused_and_the_admin_key_signs_in(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    page = browser.new_page()
    page.goto(f"{live_hub.url}/dashboard")
    expect(page).to_have_url(f"{live_hub.url}/dashboard/login")
    page.get_by_label("Admin key").fill("sb_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown API key")

    page.get_by_label("Admin key").fill(live_hub.admin_key)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("link", name="Board", exact=True)).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(f"{live_hub.url}/dashboard#/teams/{team.id}/board")
    assert live_hub.admin_key not in page.url
    page.context.close()


def test_signing_out_removes_access(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    page = sign_in(browser, live_hub)
    cookies = page.context.cookies()

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(f"{live_hub.url}/dashboard/login")
    page.goto(f"{live_hub.url}/dashboard")
    expect(page).to_have_url(f"{live_hub.url}/dashboard/login")
    session = {c["name"]: c["value"] for c in cookies}
    assert httpx.get(f"{live_hub.url}/api/v1/whoami", cookies=session).status_code == 401
    page.context.close()


def test_answering_a_question_in_the_page_answers_the_agents_waiting_get_response(
    browser: Browser, live_hub: LiveHub
) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    builder = team.agent("builder")
    question_text = "Which database for the cache?"
    options = ["Redis", "SQLite"]
    asked = team.call("POST", f"/teams/{team.id}/questions", builder, question=question_text, options=options)
    page = sign_in(browser, live_hub)
    team.page(page, "questions")
    question = page.locator(f'[data-question-id="{asked["id"]}"]')
    expect(question).to_contain_text(question_text)

    with in_background() as pool:
        waiting = agent_call(pool, live_hub, builder, "get_response", question_id=asked["id"], wait_seconds=60)
        question.get_by_role("button", name="SQLite").click()
        answered = waiting.result(timeout=30)

    assert (answered["status"], answered["answer"]) == ("answered", "SQLite")
    expect(question).to_contain_text("Answer: SQLite by admin:key-")
    page.context.close()


def test_a_key_created_in_the_page_works_for_mcp_and_is_not_shown_again(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    page = sign_in(browser, live_hub)
    team.page(page, "settings")
    page.get_by_label("Agent", exact=True).fill("deployer")
    page.get_by_label("Role, for a new agent").select_option("engineer")
    page.get_by_role("button", name="Create key").click()

    key = page.locator("#new-key").inner_text().strip()
    assert key.startswith("sb_")
    assert f'"Authorization": "Bearer {key}"' in page.locator("#new-mcp-json").inner_text()
    with in_background() as pool:
        me = agent_call(pool, live_hub, key, "whoami").result(timeout=30)
    assert (me["name"], me["team_id"]) == ("deployer", team.id)

    page.get_by_role("button", name="Done, I stored it").click()
    expect(page.locator("[data-secret]")).to_have_count(0)
    page.reload()
    expect(page.locator("tr[data-key-id]")).to_contain_text(key[:9])
    assert key not in page.content()
    page.context.close()


def test_the_graph_draws_one_edge_per_dependency(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    drafts = [
        {"title": "Schema", "ref": "schema"},
        {"title": "API", "ref": "api", "depends_on": ["schema"]},
        {"title": "UI", "ref": "ui", "depends_on": ["api"]},
        {"title": "Docs", "ref": "docs", "depends_on": ["schema", "api", "ui"]},
    ]
    tasks = {t["title"]: t for t in team.call("POST", f"/teams/{team.id}/tasks/batch", tasks=drafts)["tasks"]}
    expected = {
        (tasks[dep]["id"], tasks[title]["id"])
        for title, deps in (("API", ["Schema"]), ("UI", ["API"]), ("Docs", ["Schema", "API", "UI"]))
        for dep in deps
    }
    page = sign_in(browser, live_hub)
    team.page(page, "graph")

    edges = page.locator("svg.graph path.edge")
    expect(edges).to_have_count(len(expected))
    drawn = {(int(e.get_attribute("data-from") or 0), int(e.get_attribute("data-to") or 0)) for e in edges.all()}
    assert drawn == expected
    expect(page.locator("svg.graph a.node")).to_have_count(4)
    page.context.close()


def test_an_agents_alert_shows_as_a_notification_wherever_the_person_is(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    builder = team.agent("builder")
    page = sign_in(browser, live_hub)
    team.page(page, "costs")
    expect(page.get_by_role("heading", name="Per day")).to_be_visible()

    team.call("POST", f"/teams/{team.id}/alerts", builder, message="The staging database is full", priority="high")
    team.call("POST", f"/teams/{team.id}/questions", builder, question="May I drop old rows?", kind="approval")

    toasts = page.locator("#toasts .toast")
    expect(toasts.filter(has_text="Alert from builder")).to_contain_text("The staging database is full")
    expect(toasts.filter(has_text="builder asks")).to_contain_text("May I drop old rows?")
    page.context.close()


def test_the_board_fits_a_phone_and_a_card_opens_from_the_keyboard(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    task = team.call("POST", f"/teams/{team.id}/tasks", title="Reachable by keyboard")
    page = sign_in(browser, live_hub, viewport=PHONE, is_mobile=True, has_touch=True)
    team.page(page, "board")
    card = page.locator(f'[data-task-id="{task["id"]}"]')
    expect(card).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.dataset.taskId === '{task['id']}'"):
            break
    else:
        pytest.fail("the card was not reached with Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=f"#{task['id']} Reachable by keyboard")).to_be_visible()
    page.context.close()


def test_a_person_sends_a_message_from_the_page_and_sees_it_arrive(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    builder = team.agent("builder")
    page = sign_in(browser, live_hub)
    team.page(page, "messages")
    form = page.get_by_role("form", name="Send a message")
    form.get_by_label("To").fill("builder")
    text = "Please rebase on main before the review."
    form.get_by_label("Message").fill(text)
    form.get_by_role("button", name="Send").click()

    expect(form.get_by_role("status")).to_contain_text("Sent to 1 recipient")
    expect(page.locator(".message").filter(has_text=text)).to_contain_text("builder")
    inbox = team.call("GET", "/messages/inbox", builder)["messages"]
    assert [(m["body"], m["message_type"]) for m in inbox] == [(text, "DIRECTIVE")]
    page.context.close()


def test_limits_saved_in_the_page_are_the_teams_settings(browser: Browser, live_hub: LiveHub) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    page = sign_in(browser, live_hub)
    team.page(page, "settings")
    limits = page.get_by_role("form", name="Team limits")
    limits.get_by_label("Daily cost limit (USD)").fill("25.5")
    limits.get_by_label("Max concurrent agents").fill("3")
    limits.get_by_role("button", name="Save limits").click()

    expect(limits.get_by_text("Saved.")).to_be_visible()
    settings = team.call("GET", f"/settings/teams/{team.id}")["settings"]
    assert (settings["daily_cost_limit_usd"], settings["max_concurrent_agents"]) == (25.5, 3)
    page.context.close()
