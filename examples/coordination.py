"""The CacheBash seed's coordination flows, run against a live hub over MCP.

    switchboard serve &
    python -m examples.coordination --url http://127.0.0.1:8000 --key "$(cat .data/admin.key)"

1. Message-based coordination: the builder tells the reviewer a PR is ready; the reviewer checks its inbox
   (with the seed's `sessionId`) and answers; the builder reads the verdict.
2. Sprint-based coordination: the orchestrator creates "Add user management", six stories in two waves; three
   builders take wave 1 in parallel while wave 2 stays locked; wave 2 unlocks when wave 1 is done.
3. Program state: the builder saves its context summary at the end of a session and reads it back in the next.
4. Multicast: the architect sends a directive to `builders`; every builder receives its own copy.

The key must be an admin key: the walkthrough creates a team. Each step is printed as it happens.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

import anyio
from mcp import Client

from examples.walkthrough import Say, WalkthroughFailed, _agent_key, call, expect, mcp_session
from switchboard.client import HubClient, HubRefused

AGENTS = {
    "architect": "architect",
    "builder": "engineer",
    "builder-2": "engineer",
    "builder-3": "engineer",
    "reviewer": "reviewer",
}
STORIES = [
    {"id": "story-1", "title": "Add database schema", "wave": 1},
    {"id": "story-2", "title": "Add API endpoints", "wave": 1},
    {"id": "story-3", "title": "Add tests", "wave": 1},
    {"id": "story-4", "title": "Add UI", "wave": 2, "dependencies": ["story-2"]},
    {"id": "story-5", "title": "Add error handling", "wave": 2},
    {"id": "story-6", "title": "Add docs", "wave": 2},
]
CONTEXT_SUMMARY = {
    "lastTask": {
        "taskId": "abc123",
        "title": "Add /api/users endpoint",
        "outcome": "completed",
        "notes": "Endpoint added with Zod validation. Tests passing. PR #42 opened.",
    },
    "activeWorkItems": ["Working on user management feature", "3 tasks completed today"],
    "openQuestions": ["Should we add rate limiting to all endpoints or just /api/users?"],
}


async def coordination(admin: HubClient, say: Say = print) -> dict[str, Any]:
    """Runs the four flows in a new team; returns what each produced, for checking."""
    org_id = admin.get("/orgs")["orgs"][0]["id"]
    team = admin.post(f"/orgs/{org_id}/teams", {"name": f"User management {secrets.token_hex(3)}"})
    manager_key = _agent_key(admin, team["id"], "manager")
    keys: dict[str, str] = {}
    async with mcp_session(admin.url, manager_key) as manager:
        for name, role in AGENTS.items():
            issued = await call(manager, "create_key", programId=name, label=f"{name} agent", role=role)
            keys[name] = issued["key"]
    say(f"team {team['name']}: manager issued keys for {', '.join(AGENTS)}")
    return {
        "messages": await _messages(admin.url, keys, say),
        "sprint": await _sprint(admin.url, keys, say),
        "state": await _program_state(admin.url, keys, say),
        "multicast": await _multicast(admin.url, keys, say),
    }


async def _messages(url: str, keys: dict[str, str], say: Say) -> dict[str, Any]:
    async with mcp_session(url, keys["builder"]) as builder:
        sent = await call(
            builder,
            "send_message",
            source="builder",
            target="reviewer",
            message_type="STATUS",
            message="PR #42 ready for review — added /api/users endpoint with tests",
            priority="normal",
        )
    say(f"builder -> reviewer: message #{sent['id']}")
    async with mcp_session(url, keys["reviewer"]) as reviewer:
        inbox = (await call(reviewer, "get_messages", sessionId="reviewer-session-1"))["messages"]
        expect([m["id"] for m in inbox] == [sent["id"]], f"the reviewer should see message #{sent['id']}: {inbox}")
        say(f"reviewer checks messages: {inbox[0]['sender']} says {inbox[0]['body']!r}")
        again = (await call(reviewer, "get_messages", sessionId="reviewer-session-1"))["messages"]
        expect(again == [], "a message read once is no longer unread")
        await call(reviewer, "send_message", target="builder", message="PR #42 approved — merge when ready")
    say("reviewer -> builder: PR #42 approved")
    async with mcp_session(url, keys["builder"]) as builder:
        verdict = (await call(builder, "get_inbox"))["messages"]
    expect(len(verdict) == 1 and "approved" in verdict[0]["body"], f"the builder should get the verdict: {verdict}")
    say(f"builder reads: {verdict[0]['body']!r}")
    return {"sent": sent, "inbox": inbox, "verdict": verdict[0]}


async def _sprint(url: str, keys: dict[str, str], say: Say) -> dict[str, Any]:
    async with mcp_session(url, keys["architect"]) as orchestrator:
        sprint = await call(
            orchestrator,
            "create_sprint",
            projectName="Add user management",
            branch="feature/user-management",
            stories=STORIES,
        )
    sprint_key = sprint["key"]
    say(f"orchestrator: create_sprint {sprint_key}, {len(STORIES)} stories in 2 waves")
    builders = ("builder", "builder-2", "builder-3")
    async with (
        mcp_session(url, keys["builder"]) as b1,
        mcp_session(url, keys["builder-2"]) as b2,
        mcp_session(url, keys["builder-3"]) as b3,
    ):
        clients = dict(zip(builders, (b1, b2, b3), strict=True))
        refused = await _claim_refused(b1, _story_task(sprint, "story-4"))
        say(f"builder may not start story-4 while wave 1 is open: {refused}")
        wave_one = await _take_wave(clients, sprint_key, ["story-1", "story-2", "story-3"], say)
        midway = await call(b1, "get_sprint", sprintId=sprint_key)
        expect(midway["percent_done"] == 50, f"half the sprint should be done: {midway['percent_done']}")
        say(f"wave 1 done ({midway['percent_done']}%): wave 2 unlocks")
        wave_two = await _take_wave(clients, sprint_key, ["story-4", "story-5", "story-6"], say)
        final = await call(b1, "get_sprint", sprintId=sprint_key)
    async with mcp_session(url, keys["architect"]) as orchestrator:
        completed = await call(orchestrator, "complete_sprint", sprintId=sprint_key)
    say(f"orchestrator: sprint {sprint_key} is {completed['status']} ({final['percent_done']}%)")
    return {"created": sprint, "refused": refused, "order": wave_one + wave_two, "final": final, "done": completed}


def _story_task(sprint: dict[str, Any], story_id: str) -> int:
    for wave in sprint["waves"]:
        for story in wave["stories"]:
            if story["story_id"] == story_id:
                task_id: int = story["task_id"]
                return task_id
    raise WalkthroughFailed(f"{story_id} is missing from the sprint")


async def _claim_refused(client: Client, task_id: int) -> str:
    result = await client.call_tool("claim_task", {"taskId": task_id})
    expect(result.is_error, f"task {task_id} was claimed before its wave opened")
    message: str = (result.structured_content or {})["error"]["message"]
    return message


async def _take_wave(clients: dict[str, Client], sprint_key: str, stories: list[str], say: Say) -> list[str]:
    """Each builder claims one story of the wave with claim_next, reports progress, and completes it."""
    finished: list[str] = []

    async def work(name: str, client: Client) -> None:
        task = (await call(client, "claim_next"))["task"]
        expect(task is not None and task["story_id"] in stories, f"{name} should get a story of {stories}: {task}")
        story_id = task["story_id"]
        await call(
            client,
            "update_sprint_story",
            sprintId=sprint_key,
            storyId=story_id,
            status="active",
            progress=50,
            currentAction="Writing migration scripts" if story_id == "story-1" else f"Working on {task['title']}",
        )
        await call(client, "complete_task", taskId=task["id"], completed_status="SUCCESS")
        finished.append(story_id)
        say(f"{name} claimed, updated and completed {story_id}")

    async with anyio.create_task_group() as group:
        for name, client in clients.items():
            group.start_soon(work, name, client)
    expect(sorted(finished) == stories, f"the wave's stories should each be done once: {finished}")
    return finished


async def _program_state(url: str, keys: dict[str, str], say: Say) -> dict[str, Any]:
    async with mcp_session(url, keys["builder"]) as session_one:
        saved = await call(session_one, "update_program_state", programId="builder", contextSummary=CONTEXT_SUMMARY)
    say(f"builder saves its state at the end of a session (version {saved['version']})")
    async with mcp_session(url, keys["builder"]) as session_two:
        loaded = await call(session_two, "get_program_state", programId="builder")
    expect(loaded["context_summary"] == CONTEXT_SUMMARY, f"the next session should read it back: {loaded}")
    say(f"next session: last task {loaded['context_summary']['lastTask']['title']!r}, picks up where it left off")
    return loaded


async def _multicast(url: str, keys: dict[str, str], say: Say) -> dict[str, Any]:
    async with mcp_session(url, keys["architect"]) as architect:
        groups = (await call(architect, "list_groups"))["groups"]
        sent = await call(
            architect,
            "send_message",
            source="architect",
            target="builders",
            message_type="DIRECTIVE",
            message="New feature branch created: feature/user-management. "
            "All user management work goes on this branch.",
        )
    builders = next(g for g in groups if g["name"] == "builders")["members"]
    say(f"architect -> builders ({', '.join(builders)}): directive #{sent['id']}")
    received = {}
    for name in builders:
        async with mcp_session(url, keys[name]) as builder:
            inbox = (await call(builder, "get_messages", message_type="DIRECTIVE"))["messages"]
        expect([m["id"] for m in inbox] == [sent["id"]], f"{name} should receive the directive: {inbox}")
        received[name] = inbox[0]
    say(f"each of {len(received)} builders received its own copy")
    return {"groups": groups, "sent": sent, "received": received}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the hub's base URL")
    parser.add_argument("--key", required=True, help="an admin key (the hub writes one to .data/admin.key)")
    args = parser.parse_args()
    with HubClient(args.url, args.key) as admin:
        try:
            anyio.run(coordination, admin)
        except (HubRefused, WalkthroughFailed) as exc:
            print(f"walkthrough failed: {exc}", file=sys.stderr)
            return 1
    print("== coordination walkthrough completed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
