"""Turns and reviews in the dashboard, on SQLite and on PostgreSQL: the hub's dispatcher runs real turns for agents
with a command runner, and the pages follow turns and reviews live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.dashboard.browser import Team, agent_call, in_background, new_team, sign_in
from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def give_runner(team: Team, agent: str, command: str) -> None:
    agents = {a["name"]: a["id"] for a in team.call("GET", f"/teams/{team.id}/agents")["agents"]}
    runner: dict[str, Any] = {"type": "command", "command": command, "timeout_seconds": 60}
    team.call("PATCH", f"/agents/{agents[agent]}", runner=runner)


def test_a_task_page_shows_its_turns_with_their_output_and_its_review_with_verdict_and_comments(
    browser: Browser, live_hub: LiveHub
) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    builder = team.agent("builder")
    reviewer = team.agent("reviewer", role="reviewer")
    task = team.call("POST", f"/teams/{team.id}/tasks", title="Add /api/users", target="builder")
    team.call("POST", f"/tasks/{task['id']}/claim", builder)
    team.call("POST", f"/tasks/{task['id']}/review-request", builder, summary="Handler and tests.")
    give_runner(team, "builder", "{python} -c \"print('{agent}, turn {turn_id}: 12 tests passed')\"")
    team.call(
        "POST",
        f"/tasks/{task['id']}/reviews",
        reviewer,
        verdict="request_changes",
        summary="Validate the email address.",
        comments=[{"file": "app/users.py", "line": 12, "body": "Reject an empty email."}, "Add a test for it."],
    )
    page = sign_in(browser, live_hub)
    team.page(page, f"tasks/{task['id']}")

    review = page.locator(".review")
    expect(review).to_contain_text("changes requested")
    expect(review).to_contain_text("builder asked reviewer")
    expect(review).to_contain_text("Handler and tests.")
    expect(review).to_contain_text("Validate the email address.")
    comments = ["app/users.py:12 Reject an empty email.", "Add a test for it."]
    expect(review.locator(".comments li")).to_have_text(comments)
    # The verdict started a turn of builder about the task.
    turns = page.locator("details.turn")
    expect(turns).to_have_count(1)
    expect(turns.first).to_contain_text("review verdict")
    expect(turns.first).to_contain_text("succeeded")
    first_id = turns.first.get_attribute("data-turn-id")
    expect(turns.first.locator("pre.output")).to_have_text(f"builder, turn {first_id}: 12 tests passed")

    # A message about the task starts another; the page shows it open, and the older one folded.
    team.call("POST", f"/teams/{team.id}/messages", target="builder", message="Rebase first.", task_id=task["id"])
    expect(turns).to_have_count(2)
    expect(turns.first).to_contain_text("message")
    expect(turns.first.locator("pre.output")).to_be_visible()
    expect(turns.nth(1)).to_have_attribute("data-turn-id", str(first_id))
    expect(turns.nth(1).locator("pre.output")).to_be_hidden()
    turns.nth(1).locator("summary").click()
    expect(turns.nth(1).locator("pre.output")).to_be_visible()
    page.context.close()


def test_the_agents_page_shows_a_turn_start_and_end_without_a_reload(
    browser: Browser, live_hub: LiveHub, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    team.agent("builder")
    # The turn lasts until the test lets it end, so the page can be seen showing it running.
    gate = tmp_path / "go"
    wait_for_gate = f"[time.sleep(0.05) for _ in iter(pathlib.Path('{gate}').exists, True)]"
    give_runner(team, "builder", f"{{python}} -c \"import pathlib, time; {wait_for_gate}; print('done')\"")
    page = sign_in(browser, live_hub)
    team.page(page, "agents")
    row = page.locator("tr[data-agent='builder']")
    expect(row.locator("td.runner")).to_have_text("command")
    expect(row.locator(".turn-line")).to_have_count(0)
    page.evaluate("window.notReloaded = true")

    team.call("POST", f"/teams/{team.id}/messages", target="builder", message="Please rebase.")
    expect(row.locator(".turn-line")).to_contain_text("running")
    expect(row).to_contain_text("busy")
    gate.touch()

    expect(row.locator(".turn-line")).to_contain_text("succeeded")
    expect(row.locator(".turn-line")).to_contain_text("message · exit 0 · ")
    assert page.evaluate("window.notReloaded") is True
    page.context.close()


def test_the_boards_in_review_column_takes_a_task_live_when_its_engineer_asks_for_review(
    browser: Browser, live_hub: LiveHub
) -> None:
    from playwright.sync_api import expect

    team = new_team(live_hub)
    builder = team.agent("builder")
    reviewer = team.agent("reviewer", role="reviewer")
    task = team.call("POST", f"/teams/{team.id}/tasks", title="Add /api/orders", target="builder")
    team.call("POST", f"/tasks/{task['id']}/claim", builder)
    page = sign_in(browser, live_hub)
    team.page(page, "board")
    card = f'[data-task-id="{task["id"]}"]'
    expect(page.locator(f'[data-column="claimed"] {card}')).to_be_visible()
    page.evaluate("window.notReloaded = true")

    with in_background() as pool:
        agent_call(pool, live_hub, builder, "request_review", task_id=task["id"], summary="Ready").result(timeout=60)

    in_review = page.locator(f'[data-column="in_review"] {card}')
    expect(in_review).to_contain_text("held by builder")
    expect(in_review).to_contain_text("review by reviewer")
    team.call("POST", f"/tasks/{task['id']}/reviews", reviewer, verdict="approve")
    expect(page.locator(f'[data-column="done"] {card}')).to_be_visible()
    expect(page.locator(card)).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True
    page.context.close()
