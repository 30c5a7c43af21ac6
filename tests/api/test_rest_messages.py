"""Messages and groups over REST, including the Entourage seed's curl body as written."""

import httpx

from tests.api.rest_helpers import API, created, error_of, ok
from tests.conftest import World, auth


async def test_the_seeds_curl_body_sends_from_the_manager_to_eng_backend(http: httpx.AsyncClient, world: World) -> None:
    manager = await world.manager()
    backend = await world.agent("eng-backend")
    sent = await created(
        http,
        f"/teams/{world.team.id}/messages",
        manager.key,
        {
            "sender_id": f"{manager.id}",
            "recipient_id": f"{backend.id}",
            "body": "For the profile endpoint, use the same auth pattern as /auth/me. Return 404 if user not found.",
        },
    )
    inbox = await ok(http, "GET", "/messages/inbox", backend.key)
    assert (sent["sender"], sent["sender_agent_id"], sent["target"], sent["recipients"]) == (
        "manager",
        manager.id,
        "eng-backend",
        1,
    )
    assert [m["body"] for m in inbox["messages"]] == [
        "For the profile endpoint, use the same auth pattern as /auth/me. Return 404 if user not found."
    ]


async def test_a_sender_id_that_is_not_the_caller_is_refused(http: httpx.AsyncClient, world: World) -> None:
    manager = await world.manager()
    backend = await world.agent("eng-backend")
    path = f"{API}/teams/{world.team.id}/messages"
    body = {"sender_id": manager.id, "recipient_id": backend.id, "body": "do it"}
    as_engineer = await http.post(path, json=body, headers=auth(backend.key))
    as_admin = await http.post(path, json=body, headers=auth(world.admin_key))
    assert "is not you" in error_of(as_engineer, 403, "forbidden")["message"]
    assert "admin key" in error_of(as_admin, 403, "forbidden")["message"]
    assert (await ok(http, "GET", "/messages/inbox", backend.key))["messages"] == []


async def test_a_person_with_the_admin_key_messages_an_agent(http: httpx.AsyncClient, world: World) -> None:
    backend = await world.agent("eng-backend")
    sent = await created(
        http,
        f"/teams/{world.team.id}/messages",
        world.admin_key,
        {"target": "eng-backend", "message": "please hurry", "priority": "high", "message_type": "DIRECTIVE"},
    )
    inbox = await ok(http, "GET", "/messages/inbox", backend.key, params={"session_id": "s-1"})
    assert (sent["sender_agent_id"], sent["priority"], sent["message_type"]) == (None, "high", "DIRECTIVE")
    assert [m["id"] for m in inbox["messages"]] == [sent["id"]]
    error_of(await http.get(f"{API}/messages/inbox", headers=auth(world.admin_key)), 403, "forbidden")


async def test_an_unknown_target_is_422_and_stores_nothing(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    path = f"{API}/teams/{world.team.id}/messages"
    unknown = await http.post(path, json={"recipient_id": 987654, "body": "anyone?"}, headers=auth(builder.key))
    missing = await http.post(path, json={"body": "to nobody"}, headers=auth(builder.key))
    extra = await http.post(path, json={"target": "all", "body": "x", "cc": "me"}, headers=auth(builder.key))
    error_of(unknown, 422, "invalid_input")
    assert "target is required" in error_of(missing, 422, "invalid_input")["message"]
    error_of(extra, 422, "invalid_input")
    assert (await ok(http, "GET", "/messages/sent", builder.key))["messages"] == []


async def test_another_agents_message_answers_404_and_history_shows_only_ones_own(
    http: httpx.AsyncClient, world: World
) -> None:
    builder = await world.agent("builder")
    reviewer = await world.agent("reviewer", role="reviewer")
    snoop = await world.agent("snoop", role="analyst")
    private = await created(
        http, f"/teams/{world.team.id}/messages", builder.key, {"target": "reviewer", "body": "between us"}
    )
    error_of(await http.get(f"{API}/messages/{private['id']}", headers=auth(snoop.key)), 404, "not_found")
    marked = await http.post(f"{API}/messages/read", json={"message_ids": [private["id"]]}, headers=auth(snoop.key))
    error_of(marked, 404, "not_found")
    assert (await ok(http, "GET", "/messages/history", snoop.key))["messages"] == []
    assert (await ok(http, "GET", f"/teams/{world.team.id}/messages", snoop.key))["messages"] == []
    stranger = await (await world.other_team()).agent("stranger")
    error_of(await http.get(f"{API}/messages/{private['id']}", headers=auth(stranger.key)), 404, "not_found")
    error_of(await http.get(f"{API}/teams/{world.team.id}/messages", headers=auth(stranger.key)), 404, "not_found")
    seen = await ok(http, "GET", f"/messages/{private['id']}", reviewer.key)
    assert seen["body"] == "between us" and "receipts" not in seen
    admin_view = await ok(http, "GET", f"/teams/{world.team.id}/messages", world.admin_key)
    assert [m["body"] for m in admin_view["messages"]] == ["between us"]


async def test_multicast_read_state_receipts_and_history_over_rest(http: httpx.AsyncClient, world: World) -> None:
    manager = await world.manager()
    one = await world.agent("builder-1")
    two = await world.agent("builder-2")
    sent = await created(
        http,
        f"/teams/{world.team.id}/messages",
        manager.key,
        {"target": "builders", "message": "freeze at 5pm", "idempotency_key": "freeze"},
    )
    repeat = await http.post(
        f"{API}/teams/{world.team.id}/messages",
        json={"target": "builders", "message": "freeze at 5pm"},
        headers={**auth(manager.key), "Idempotency-Key": "freeze"},
    )
    assert repeat.status_code == 201 and repeat.json()["id"] == sent["id"]
    peek = await ok(http, "GET", "/messages/inbox", one.key, params={"mark_as_read": "false"})
    marked = await ok(http, "POST", "/messages/read", one.key, json={"message_ids": [sent["id"]]})
    assert [m["read_at"] for m in peek["messages"]] == [None]
    assert marked == {"message_ids": [sent["id"]], "newly_read": [sent["id"]]}
    receipt = await ok(http, "GET", f"/messages/{sent['id']}", manager.key)
    assert [(r["agent"], r["read_at"] is not None) for r in receipt["receipts"]] == [
        ("builder-1", True),
        ("builder-2", False),
    ]
    reply = await created(
        http, f"/teams/{world.team.id}/messages", two.key, {"target": "manager", "body": "ok", "reply_to": sent["id"]}
    )
    thread = await ok(http, "GET", "/messages/history", manager.key, params={"thread_id": sent["id"]})
    assert [m["id"] for m in thread["messages"]] == [sent["id"], reply["id"]]
    sent_list = await ok(http, "GET", "/messages/sent", manager.key)
    assert [(m["id"], m["read_count"]) for m in sent_list["messages"]] == [(sent["id"], 1)]


async def test_groups_are_created_and_changed_by_managers_and_an_agent_cannot_join_itself(
    http: httpx.AsyncClient, world: World
) -> None:
    manager = await world.manager()
    builder = await world.agent("builder")
    groups = f"/teams/{world.team.id}/groups"
    group = await created(
        http, groups, manager.key, {"name": "release", "description": "Ships", "members": ["manager"]}
    )
    joined = await ok(http, "POST", f"{groups}/release/members", manager.key, json={"members": ["builder"]})
    left = await ok(http, "DELETE", f"{groups}/release/members/builder", manager.key)
    assert (group["members"], joined["members"], left["members"]) == (["manager"], ["builder", "manager"], ["manager"])
    self_join = await http.post(
        f"{API}{groups}/council/members", json={"members": [builder.id]}, headers=auth(builder.key)
    )
    assert "cannot put yourself" in error_of(self_join, 403, "forbidden")["message"]
    taken = await http.post(f"{API}{groups}", json={"name": "release"}, headers=auth(world.admin_key))
    error_of(taken, 409, "conflict")
    virtual = await http.delete(f"{API}{groups}/all/members/builder", headers=auth(manager.key))
    error_of(virtual, 422, "invalid_input")
    missing = await http.post(f"{API}{groups}/ghosts/members", json={"members": ["builder"]}, headers=auth(manager.key))
    error_of(missing, 404, "not_found")
    listed = await ok(http, "GET", groups, builder.key)
    assert {g["name"]: g["members"] for g in listed["groups"]}["council"] == ["manager"]
