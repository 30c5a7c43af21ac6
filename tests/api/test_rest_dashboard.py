"""Signing in to the dashboard over HTTP, the session cookie standing for an admin key, and the routes the page
reads (board, graph, event position)."""

from __future__ import annotations

import logging
import re

import httpx

from switchboard.api.auth import CSRF_HEADER, SESSION_COOKIE
from switchboard.dashboard.pages import ASSETS, HideSignInTokens
from tests.api.rest_helpers import API, created, error_of, new_task, ok
from tests.conftest import World, auth

CHANGE = {CSRF_HEADER: "1"}


async def sign_in(http: httpx.AsyncClient, key: str) -> httpx.Response:
    return await http.post("/dashboard/login", data={"key": key})


async def test_the_sign_in_form_sets_a_strict_http_only_cookie_and_goes_to_a_url_without_the_key(
    http: httpx.AsyncClient, world: World
) -> None:
    response = await sign_in(http, world.admin_key)

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert world.admin_key not in cookie


async def test_the_session_cookie_reads_the_api_as_its_admin_key(http: httpx.AsyncClient, world: World) -> None:
    await sign_in(http, world.admin_key)

    me = (await http.get(f"{API}/whoami")).json()

    assert (me["kind"], me["key_id"]) == ("admin", world.admin.key_id)


async def test_a_change_made_with_the_cookie_needs_the_dashboards_header(http: httpx.AsyncClient, world: World) -> None:
    await sign_in(http, world.admin_key)
    path = f"{API}/teams/{world.team.id}/tasks"

    bare = await http.post(path, json={"title": "From a form elsewhere"})
    foreign = await http.post(path, json={"title": "x"}, headers={**CHANGE, "Origin": "http://elsewhere.example"})
    from_page = await http.post(
        path, json={"title": "From the page"}, headers={**CHANGE, "Origin": "http://testserver"}
    )

    assert CSRF_HEADER in error_of(bare, 403, "forbidden")["message"]
    error_of(foreign, 403, "forbidden")
    assert from_page.status_code == 201, from_page.text
    titles = [t["title"] for t in (await http.get(path)).json()["items"]]
    assert titles == ["From the page"]


async def test_a_wrong_key_shows_the_sign_in_page_again_with_the_reason(http: httpx.AsyncClient) -> None:
    response = await sign_in(http, "sb_not-a-real-key")

    assert response.status_code == 401
    assert "unknown API key" in response.text
    assert "sb_not-a-real-key" not in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_an_agent_key_cannot_sign_in(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")

    response = await sign_in(http, builder.key)

    assert response.status_code == 403
    assert "admin key" in response.text


async def test_a_sign_in_posted_from_another_site_is_refused(http: httpx.AsyncClient, world: World) -> None:
    response = await http.post(
        "/dashboard/login", data={"key": world.admin_key}, headers={"Origin": "http://elsewhere.example"}
    )

    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_a_login_link_signs_in_once_and_lands_on_a_url_without_its_token(
    http: httpx.AsyncClient, world: World
) -> None:
    link = await created(http, "/dashboard/login-links", world.admin_key, {})
    assert link["path"].startswith("/dashboard/login/")

    first = await http.get(link["path"])
    second = await http.get(link["path"])

    assert (first.status_code, first.headers["location"]) == (303, "/dashboard")
    assert (await http.get(f"{API}/whoami")).json()["key_id"] == world.admin.key_id
    assert second.status_code == 401
    assert "used already or has expired" in second.text


async def test_agents_cannot_ask_for_login_links(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")

    response = await http.post(f"{API}/dashboard/login-links", headers=auth(builder.key))

    error_of(response, 403, "forbidden")


async def test_signing_out_ends_the_session_on_the_server(http: httpx.AsyncClient, world: World) -> None:
    await sign_in(http, world.admin_key)
    token = http.cookies[SESSION_COOKIE]

    response = await http.post("/dashboard/logout")

    assert (response.status_code, response.headers["location"]) == (303, "/dashboard/login")
    http.cookies.set(SESSION_COOKIE, token)
    error_of(await http.get(f"{API}/whoami"), 401, "unauthorized")


async def test_the_dashboard_page_needs_a_session(http: httpx.AsyncClient, world: World) -> None:
    before = await http.get("/dashboard")
    await sign_in(http, world.admin_key)
    after = await http.get("/dashboard")

    assert (before.status_code, before.headers["location"]) == (303, "/dashboard/login")
    assert after.status_code == 200
    assert f'<script type="module" src="{ASSETS}/js/main.js">' in after.text
    assert "default-src 'self'" in after.headers["content-security-policy"]


async def test_the_root_leads_to_the_dashboard_and_its_versioned_assets_are_served(http: httpx.AsyncClient) -> None:
    root = await http.get("/")
    sign_in_page = await http.get("/dashboard/login")
    stylesheet = re.search(r'href="([^"]+\.css)"', sign_in_page.text)
    assert stylesheet is not None
    style = await http.get(stylesheet.group(1))
    script = await http.get(f"{ASSETS}/js/pages/board.js")
    stale = await http.get("/dashboard/static/0000/js/main.js")

    assert (root.status_code, root.headers["location"]) == (303, "/dashboard")
    assert 'action="/dashboard/login"' in sign_in_page.text and 'method="post"' in sign_in_page.text
    assert style.status_code == 200 and "text/css" in style.headers["content-type"]
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "immutable" in script.headers["cache-control"]
    assert stale.status_code == 404


async def test_the_board_and_graph_routes_answer_cards_and_edges(http: httpx.AsyncClient, world: World) -> None:
    first = await new_task(http, world.admin_key, world.team.id, "First")
    second = await new_task(http, world.admin_key, world.team.id, "Second", depends_on=[first["id"]])

    board = await ok(http, "GET", f"/teams/{world.team.id}/board", world.admin_key)
    graph = await ok(http, "GET", f"/teams/{world.team.id}/graph", world.admin_key)

    assert [(c["id"], c["status"]) for c in board["tasks"]] == [(first["id"], "ready"), (second["id"], "blocked")]
    assert graph["edges"] == [{"from": first["id"], "to": second["id"]}]
    assert [n["depth"] for n in graph["nodes"]] == [0, 1]


async def test_another_teams_board_graph_and_position_are_not_found(http: httpx.AsyncClient, world: World) -> None:
    outsider = await (await world.other_team()).agent("outsider")

    for path in ("board", "graph", "events/position"):
        error_of(await http.get(f"{API}/teams/{world.team.id}/{path}", headers=auth(outsider.key)), 404, "not_found")


def test_sign_in_tokens_are_kept_out_of_the_access_log() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None)
    record.args = ("127.0.0.1:5000", "GET", "/dashboard/login/s3cret-token?x=1", "1.1", 303)

    HideSignInTokens().filter(record)

    assert "s3cret-token" not in record.getMessage()
    assert "/dashboard/login/…?x=1" in record.getMessage()
