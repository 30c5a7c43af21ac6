"""Program state through the MCP tools, with the CacheBash seed's calls exactly as written."""

import anyio

from switchboard.api.app import HubApp
from tests.api.mcp_client import call, mcp_client, refused
from tests.conftest import World

SEED_SUMMARY = {
    "lastTask": {
        "taskId": "abc123",
        "title": "Add /api/users endpoint",
        "outcome": "completed",
        "notes": "Endpoint added with Zod validation. Tests passing. PR #42 opened.",
    },
    "activeWorkItems": ["Working on user management feature", "3 tasks completed today"],
    "openQuestions": ["Should we add rate limiting to all endpoints or just /api/users?"],
}


async def test_the_seed_builder_saves_its_context_and_a_new_session_reads_it_back(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key, path="/v1/mcp") as end_of_session:
        saved = await call(
            end_of_session, "update_program_state", {"programId": "builder", "contextSummary": SEED_SUMMARY}
        )
    async with mcp_client(app, builder.key, path="/v1/mcp") as next_session:
        read = await call(next_session, "get_program_state", {"programId": "builder"})
    assert saved["version"] == 1
    assert read["context_summary"] == SEED_SUMMARY
    assert read["state"] == {"contextSummary": SEED_SUMMARY}
    assert (read["program_id"], read["agent_id"], read["version"]) == ("builder", builder.id, 1)
    assert read["updated_by"] == "builder"


async def test_a_fresh_agent_reads_version_0_without_naming_itself(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        read = await call(client, "get_program_state")
    assert (read["program_id"], read["version"], read["state"], read["context_summary"]) == ("builder", 0, {}, None)


async def test_merge_replace_and_history_through_the_tools(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        await call(client, "update_program_state", {"state": {"branch": "main", "step": 1}})
        merged = await call(client, "update_program_state", {"context_summary": "half", "state": {"step": 2}})
        replaced = await call(client, "update_program_state", {"state": {"fresh": True}, "mode": "replace"})
        history = await call(client, "get_program_state_history", {"limit": 2})
        older = await call(
            client, "get_program_state_history", {"limit": 2, "beforeVersion": history["next_before_version"]}
        )
    assert merged["state"] == {"branch": "main", "step": 2, "contextSummary": "half"}
    assert replaced["state"] == {"fresh": True}
    assert [(v["version"], v["mode"]) for v in history["versions"]] == [(3, "replace"), (2, "merge")]
    assert history["current_version"] == 3
    assert [v["state"] for v in older["versions"]] == [{"branch": "main", "step": 1}]
    assert older["next_before_version"] is None


async def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        first = await call(client, "update_program_state", {"state": {"step": 1}, "expectedVersion": 0})
        await call(client, "update_program_state", {"state": {"step": 2}, "expected_version": first["version"]})
        error = await refused(
            client, "update_program_state", {"state": {"step": "stale"}, "expected_version": first["version"]}
        )
        current = await call(client, "get_program_state")
    assert error["code"] == "conflict"
    assert error["details"] == {"expected_version": 1, "current_version": 2}
    assert (current["version"], current["state"]) == (2, {"step": 2})


async def test_an_engineer_can_neither_write_nor_read_another_engineers_state(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    snoop = await world.agent("snoop")
    async with mcp_client(app, builder.key) as client:
        await call(client, "update_program_state", {"state": {"secret": 1}})
    async with mcp_client(app, snoop.key) as client:
        write = await refused(client, "update_program_state", {"programId": "builder", "state": {"secret": 2}})
        read = await refused(client, "get_program_state", {"programId": "builder"})
        history = await refused(client, "get_program_state_history", {"programId": "builder"})
    assert (write["code"], read["code"], history["code"]) == ("forbidden", "forbidden", "forbidden")
    assert "only builder itself" in write["message"]


async def test_a_manager_reads_the_teams_states_but_may_not_write_them(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    manager = await world.manager()
    async with mcp_client(app, builder.key) as client:
        await call(client, "update_program_state", {"contextSummary": SEED_SUMMARY})
    async with mcp_client(app, manager.key) as client:
        read = await call(client, "get_program_state", {"programId": "builder"})
        history = await call(client, "get_program_state_history", {"programId": str(builder.id)})
        error = await refused(client, "update_program_state", {"programId": "builder", "state": {"x": 1}})
    async with mcp_client(app, world.admin_key) as client:
        by_admin = await call(client, "get_program_state", {"programId": "builder", "teamId": world.team.id})
    assert read["context_summary"] == by_admin["context_summary"] == SEED_SUMMARY
    assert [v["version"] for v in history["versions"]] == [1]
    assert error["code"] == "forbidden"


async def test_another_teams_agent_is_not_found(app: HubApp, world: World) -> None:
    other = await world.other_team()
    stranger = await other.agent("stranger")
    manager = await world.manager()
    async with mcp_client(app, manager.key) as client:
        by_name = await refused(client, "get_program_state", {"programId": "stranger"})
        by_id = await refused(client, "get_program_state", {"programId": stranger.id})
    assert by_name["code"] == by_id["code"] == "not_found"


async def test_oversize_and_invalid_updates_are_refused(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key) as client:
        too_large = await refused(client, "update_program_state", {"state": {"blob": "x" * (300 * 1024)}})
        empty = await refused(client, "update_program_state", {})
        bad_mode = await refused(client, "update_program_state", {"state": {"a": 1}, "mode": "overwrite"})
        not_object = await refused(client, "update_program_state", {"state": ["a"]})
        current = await call(client, "get_program_state")
    assert too_large["code"] == "too_large"
    assert (empty["code"], bad_mode["code"], not_object["code"]) == ("invalid_input",) * 3
    assert current["version"] == 0


async def test_concurrent_sessions_over_mcp_lose_no_update(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")

    async def session(index: int) -> None:
        async with mcp_client(app, builder.key) as client:
            while True:
                seen = await call(client, "get_program_state")
                document = {**seen["state"], f"session-{index}": index}
                with anyio.fail_after(5):
                    result = await client.call_tool(
                        "update_program_state",
                        {"state": document, "mode": "replace", "expected_version": seen["version"]},
                    )
                if not result.is_error:
                    return
                assert result.structured_content is not None
                assert result.structured_content["error"]["code"] == "conflict"

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(session, i)
    async with mcp_client(app, builder.key) as client:
        final = await call(client, "get_program_state")
    assert final["version"] == 8
    assert final["state"] == {f"session-{i}": i for i in range(8)}
