"""A scripted agent: a small program that does in one turn what a coding agent would, over MCP.

The dispatcher runs it with the hub's URL and the agent's key in its environment (`SWITCHBOARD_URL`,
`SWITCHBOARD_KEY`). What it does depends on its role:

- engineer: finish the task it holds (after a reviewer asked for changes) or claim the next one; in the task's
  worktree, write the file its instructions name (a line `file: path/in/repo`) and commit it; then ask for a review
  when the team has a reviewer, else complete the task. It reports the usage of its "work".
- reviewer: for each review request in its messages, read the task's diff and approve it when the branch changed
  something, else ask for changes.
- manager: claim the feature aimed at it, create the sub-tasks listed in its instructions (a JSON array in a
  ```plan block) in one batch, wait for them to finish, and complete the feature with a summary.

    python -m switchboard.demo.agent
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

PLAN_BLOCK = re.compile(r"```plan\s*\n(.*?)```", re.DOTALL)
FILE_LINE = re.compile(r"^file:\s*(\S+)\s*$", re.MULTILINE)
MODEL = "scripted-agent"
WAIT_FOR_SUBTASKS_SECONDS = 900


class Refused(Exception):
    """The hub refused a call."""


@asynccontextmanager
async def mcp_session(url: str, key: str) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    payload = result.structured_content or {}
    if result.is_error:
        raise Refused(f"{tool}: {payload.get('error', payload)}")
    return payload


def say(text: str) -> None:
    print(text, flush=True)


async def run_turn(url: str, key: str) -> None:
    async with mcp_session(url, key) as client:
        me = await call(client, "whoami")
        inbox = await call(client, "get_messages", mark_as_read=True, limit=50)
        messages = inbox.get("messages", [])
        say(f"{me['name']} ({me['role']}): {len(messages)} new message(s)")
        if me["role"] == "manager":
            await manage(client, me)
        elif me["role"] == "reviewer":
            await review(client, messages)
        else:
            await engineer(client, me)


# -- engineer ---------------------------------------------------------------------------------------------------


async def engineer(client: Client, me: dict[str, Any]) -> None:
    task = await task_to_work_on(client, me)
    if task is None:
        say("nothing to work on")
        return
    say(f"working on task #{task['id']}: {task['title']}")
    await call(client, "update_task", task_id=task["id"], progress=50, current_action="writing the change")
    worktree = task.get("worktree")
    if worktree:
        path = write_and_commit(Path(worktree), task, me["name"])
        say(f"committed {path} in {worktree}")
    await call(client, "report_usage", tokens_in=1200, tokens_out=800, cost_usd=0.01, model=MODEL, task_id=task["id"])
    if await has_reviewer(client):
        await call(client, "request_review", task_id=task["id"], summary=f"{task['title']}: done, please review")
        say(f"asked for a review of task #{task['id']}")
    else:
        await call(client, "complete_task", task_id=task["id"], result=f"{task['title']}: done")
        say(f"completed task #{task['id']}")


async def task_to_work_on(client: Client, me: dict[str, Any]) -> dict[str, Any] | None:
    """The task it holds (a reviewer asked for changes), else the one this turn is about, else the next one."""
    held = await call(client, "get_tasks", holder=me["name"], status="claimed")
    if held.get("items"):
        task: dict[str, Any] = held["items"][0]
        return task
    named = os.environ.get("SWITCHBOARD_TASK_ID")
    if named:
        task = await call(client, "get_task", task_id=int(named))
        if task.get("status") == "ready":
            return await call(client, "claim_task", task_id=int(named))
    claimed: dict[str, Any] | None = (await call(client, "claim_next"))["task"]
    return claimed


def write_and_commit(worktree: Path, task: dict[str, Any], author: str) -> str:
    named = FILE_LINE.search(task.get("instructions") or "")
    relative = named.group(1) if named else f"work/task-{task['id']}.md"
    target = worktree / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as f:
        f.write(f"# {task['title']}\n\nWritten by {author} for task #{task['id']}.\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": f"{author}@agents.invalid",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": f"{author}@agents.invalid",
    }
    subprocess.run(["git", "add", relative], cwd=worktree, check=True, env=env, capture_output=True)
    message = f"{task['title']} (task #{task['id']})"
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=worktree, check=True, env=env, capture_output=True)
    return relative


async def has_reviewer(client: Client) -> bool:
    agents = (await call(client, "list_team_agents")).get("agents", [])
    return any(a.get("role") == "reviewer" for a in agents)


# -- reviewer ---------------------------------------------------------------------------------------------------


async def review(client: Client, messages: list[dict[str, Any]]) -> None:
    task_ids = sorted({m["task_id"] for m in messages if m.get("task_id")})
    for task_id in task_ids:
        task = await call(client, "get_task", task_id=task_id)
        if task.get("status") != "in_review":
            continue
        diff = await call(client, "get_task_diff", task_id=task_id)
        files = [f["path"] for f in diff.get("changed_files", [])]
        if files:
            summary = f"Looks good: {', '.join(files)}"
            await call(client, "submit_review", task_id=task_id, verdict="approve", summary=summary)
            say(f"approved task #{task_id} ({len(files)} file(s))")
        else:
            summary = "The branch changes nothing yet."
            await call(client, "submit_review", task_id=task_id, verdict="request_changes", summary=summary)
            say(f"asked for changes on task #{task_id}")


# -- manager ----------------------------------------------------------------------------------------------------


async def manage(client: Client, me: dict[str, Any]) -> None:
    feature = (await call(client, "claim_next"))["task"]
    if feature is None:
        say("no feature to plan")
        return
    plan = PLAN_BLOCK.search(feature.get("instructions") or "")
    if plan is None:
        await call(client, "complete_task", task_id=feature["id"], completed_status="SKIPPED", result="no plan given")
        return
    items = json.loads(plan.group(1))
    for item in items:
        item["parent_id"] = feature["id"]
    created = (await call(client, "create_tasks_batch", tasks=items))["tasks"]
    ids = [t["id"] for t in created]
    say(f"planned {len(ids)} sub-tasks of #{feature['id']}: {ids}")
    await call(client, "update_task", task_id=feature["id"], progress=10, current_action="waiting for the sub-tasks")
    waited = await call(client, "wait_for_task_completion", task_ids=ids, timeout_seconds=WAIT_FOR_SUBTASKS_SECONDS)
    statuses = {t["id"]: t["status"] for t in waited.get("tasks", [])}
    done = all(status == "done" for status in statuses.values())
    summary = ", ".join(f"#{i} {s}" for i, s in statuses.items())
    await call(
        client,
        "complete_task",
        task_id=feature["id"],
        completed_status="SUCCESS" if done else "FAILED",
        result=f"sub-tasks: {summary}",
    )
    await call(client, "send_message", target="all", message=f"{feature['title']}: finished ({summary})")
    say(f"feature #{feature['id']} finished: {summary}")


def main() -> int:
    url, key = os.environ.get("SWITCHBOARD_URL"), os.environ.get("SWITCHBOARD_KEY")
    if not url or not key:
        print("SWITCHBOARD_URL and SWITCHBOARD_KEY must be set (the dispatcher sets them)", file=sys.stderr)
        return 2
    try:
        anyio.run(run_turn, url, key)
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
