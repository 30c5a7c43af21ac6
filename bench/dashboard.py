"""The dashboard's board with 2,000 tasks: time from navigation to the board painted with every card, in the same
headless Chromium the browser tests drive."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from bench._hub_process import free_port, wait_ready

CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
BATCH = 1000
AGENTS = 4
# The board's page marks this once the board is drawn and a frame has gone by.
PAINTED = "() => performance.getEntriesByName('board-painted').length > 0"


async def board_first_paint(url: str, data_dir: Path, tasks: int, loads: int) -> tuple[list[float], int]:
    """Milliseconds from navigation start to the board painted, for `loads` fresh page loads (after one to warm
    up), and how many cards the board showed."""
    port = free_port()
    env = {**os.environ, "SWITCHBOARD_DATA_DIR": str(data_dir), "SWITCHBOARD_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "switchboard", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        admin_key = await wait_ready(base, data_dir / "admin.key", server)
        async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=_auth(admin_key), timeout=120) as http:
            team_id = await _board_of(http, tasks)
            link = (await http.post("/dashboard/login-links")).json()["path"]
        return await _paint_times(base, link, team_id, loads)
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _board_of(http: httpx.AsyncClient, tasks: int) -> int:
    """A team with `tasks` tasks: a chain of dependencies every few tasks, a few claimed and a few done, so every
    column of the board has cards."""
    org = (await http.get("/whoami")).json()["org_id"]
    team = (await http.post(f"/orgs/{org}/teams", json={"name": f"board {secrets.token_hex(3)}"})).json()["id"]
    for start in range(0, tasks, BATCH):
        drafts = [_draft(i, start) for i in range(start, min(tasks, start + BATCH))]
        created = await http.post(f"/teams/{team}/tasks/batch", json={"tasks": drafts})
        assert created.status_code == 201, created.text
    keys = [
        (await http.post(f"/teams/{team}/keys", json={"program_id": f"agent-{n}"})).json()["key"] for n in range(AGENTS)
    ]
    for n in range(tasks // 20):
        key = keys[n % AGENTS]
        claimed = (await http.post(f"/teams/{team}/tasks/claim-next", headers=_auth(key))).json()["task"]
        if n % 5 < 2:
            await http.post(f"/tasks/{claimed['id']}/complete", headers=_auth(key), json={"result": "done"})
    return int(team)


def _draft(i: int, start: int) -> dict[str, object]:
    draft: dict[str, object] = {
        "title": f"Task {i}: implement part {i} of the feature",
        "priority": ("low", "normal", "high", "critical")[i % 4],
        "tags": [f"area-{i % 7}"],
        "ref": f"t{i}",
    }
    if i % 4 == 3 and i - 1 >= start:
        draft["depends_on"] = [f"t{i - 1}"]
    return draft


async def _paint_times(base: str, link: str, team_id: int, loads: int) -> tuple[list[float], int]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        sign_in = await context.new_page()
        await sign_in.goto(f"{base}{link}")
        await sign_in.close()
        samples, cards = [], 0
        for load in range(loads + 1):
            page = await context.new_page()
            await page.goto(f"{base}/dashboard#/teams/{team_id}/board")
            await page.wait_for_function(PAINTED, timeout=60_000)
            painted = await page.evaluate("performance.getEntriesByName('board-painted')[0].startTime")
            cards = await page.locator(".card").count()
            await page.close()
            if load:
                samples.append(float(painted))
        await browser.close()
    return samples, cards


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
