"""The demo: a throwaway repository and hub, a team of scripted agents, and the seed's notification feature.

A manager, three engineers and a reviewer each have a command runner that starts the scripted agent program
(`switchboard.demo.agent`). The manager is given the feature; it plans four sub-tasks in dependency order, the
engineers build them in their worktrees, the reviewer approves each, each branch merges on approval, and the
manager finishes the feature. Every step is printed as the hub records it.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import uvicorn

from switchboard.api.app import create_app
from switchboard.config import Settings
from switchboard.dispatch.dispatcher import Dispatcher
from switchboard.dispatch.models import Turn
from switchboard.errors import Conflict
from switchboard.hub import Hub
from switchboard.tasks.feed import TeamEventFeed
from switchboard.tasks.models import TaskDraft, TaskEvent
from switchboard.teams.models import Principal, Team
from switchboard.waiting import wait_until

AGENT_COMMAND = "{python} -m switchboard.demo.agent"
ENGINEERS = {
    "eng-backend": "Backend specialist: Python, APIs, databases",
    "eng-frontend": "Frontend specialist: React, TypeScript, UI",
    "eng-qa": "Test specialist: integration and end-to-end tests",
}
FEATURE = "Add user notification system"
PLAN = [
    {
        "ref": "schema",
        "title": "Design notification schema",
        "target": "eng-backend",
        "priority": "high",
        "instructions": "Create the notifications table: id, user_id, kind, body, read_at.\nfile: db/notifications.sql",
    },
    {
        "ref": "api",
        "title": "Build notification API endpoints",
        "target": "eng-backend",
        "priority": "high",
        "depends_on": ["schema"],
        "instructions": "GET /notifications and POST /notifications/{id}/read.\nfile: api/notifications.py",
    },
    {
        "ref": "bell",
        "title": "Add notification bell to navbar",
        "target": "eng-frontend",
        "depends_on": ["api"],
        "instructions": "A bell with the unread count, opening the list.\nfile: web/NotificationBell.tsx",
    },
    {
        "ref": "tests",
        "title": "Write integration tests",
        "target": "eng-qa",
        "depends_on": ["api", "bell"],
        "instructions": "Create, list and mark read through the API and the bell.\nfile: tests/test_notifications.py",
    },
]
SHOWN_EVENTS = {
    "created",
    "claimed",
    "unblocked",
    "worktree_created",
    "review_requested",
    "review_submitted",
    "branch_merged",
    "completed",
    "turn_started",
    "turn_ended",
}
FINISH_SECONDS = 300.0
SETTLE_SECONDS = 60.0


@dataclass
class DemoResult:
    team: Team
    feature_id: int
    feature_status: str
    repository: Path
    timeline: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    main_log: list[str] = field(default_factory=list)


async def run_demo(workdir: Path, database_url: str = "", say: Callable[[str], None] = print) -> DemoResult:
    """Run the whole demo in `workdir` (a repository `app/` and the hub's data in `data/`)."""
    # The MCP server's own progress notes would interleave with the timeline.
    logging.getLogger("mcp").setLevel(logging.WARNING)
    repository = make_repository(workdir / "app")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    settings = Settings(data_dir=workdir / "data", database_url=database_url, port=port, sweep_interval_seconds=1)
    hub = Hub(settings)
    try:
        await hub.migrate()
        await hub.ensure_admin_key()
        dispatcher = Dispatcher(hub, hub_url=settings.hub_url)
        server = uvicorn.Server(uvicorn.Config(create_app(hub, dispatcher=dispatcher), log_level="warning"))
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: server.serve(sockets=[sock]))
            say(f"hub at {settings.hub_url}, repository at {repository}")
            result = await _build_the_feature(hub, repository, say)
            server.should_exit = True
        result.main_log = git(repository, "log", "--format=%h %an: %s", "main").splitlines()
        return result
    finally:
        sock.close()
        await hub.close()


async def _build_the_feature(hub: Hub, repository: Path, say: Callable[[str], None]) -> DemoResult:
    admin = await hub.keys.authenticate(hub.settings.admin_key_file.read_text().strip())
    team = await _make_team(hub, admin, repository)
    say(f"team {team.name}: manager, {', '.join(ENGINEERS)}, reviewer; each runs `{AGENT_COMMAND}` per turn")
    feed = TeamEventFeed(hub.db, team.id)
    await feed.next_events()
    instructions = f"Build it in small steps, in this order:\n\n```plan\n{json.dumps(PLAN, indent=2)}\n```\n"
    feature = await hub.tasks.create_task(
        admin,
        TaskDraft.model_validate(
            {"title": FEATURE, "instructions": instructions, "target": "manager", "priority": "high"}
        ),
        team.id,
    )
    result = DemoResult(team, feature.id, "", repository)
    started = anyio.current_time()
    titles = {feature.id: feature.title}

    async def progress() -> bool:
        for event in await feed.next_events():
            if event.kind in SHOWN_EVENTS:
                if event.kind == "created" and event.task_id is not None:
                    titles[event.task_id] = str(event.data.get("title", f"task #{event.task_id}"))
                line = f"{anyio.current_time() - started:6.1f}s  {describe(event, titles)}"
                result.timeline.append(line)
                say(line)
        finished = (await hub.tasks.get_task(admin, feature.id)).task
        running = await hub.turns.list_turns(admin, team.id, status="running")
        return finished.status.is_terminal and not running

    with anyio.move_on_after(FINISH_SECONDS + SETTLE_SECONDS):
        await wait_until(hub.notifier, team.id, progress, FINISH_SECONDS + SETTLE_SECONDS)
    result.feature_status = (await hub.tasks.get_task(admin, feature.id)).task.status.value
    result.turns = list(reversed(await hub.turns.list_turns(admin, team.id, limit=200)))
    return result


async def _make_team(hub: Hub, admin: Principal, repository: Path) -> Team:
    try:
        team = await hub.teams.create_team(admin, admin.org_id, "Platform")
    except Conflict:  # a database that ran the demo before
        team = await hub.teams.create_team(admin, admin.org_id, f"Platform {secrets.token_hex(3)}")
    runner = {"runner": {"type": "command", "command": AGENT_COMMAND, "timeout_seconds": 600}}
    manager = next(a for a in await hub.teams.list_agents(admin, team.id) if a.agent.role == "manager")
    await hub.teams.update_agent(admin, manager.agent.id, {"runner": runner["runner"]})
    for name, description in ENGINEERS.items():
        await hub.teams.create_agent(admin, team.id, name, "engineer", description=description, config=runner)
    await hub.teams.create_agent(
        admin, team.id, "reviewer", "reviewer", description="Reviews every change", config=runner
    )
    await hub.worktrees.register_repository(admin, team.id, "app", str(repository), merge_on_approve=True)
    return team


def describe(event: TaskEvent, titles: dict[int, str]) -> str:
    task = f"#{event.task_id} {titles.get(event.task_id, '')}".strip() if event.task_id else "team"
    data = event.data
    match event.kind:
        case "created":
            return f"{task}: created by {event.actor}"
        case "claimed":
            return f"{task}: claimed by {event.actor}"
        case "unblocked":
            return f"{task}: unblocked (its dependency #{data.get('by')} is done)"
        case "worktree_created":
            return f"{task}: worktree {data.get('path')} on branch {data.get('branch')}"
        case "review_requested":
            return f"{task}: {event.actor} asks for a review"
        case "review_submitted":
            return f"{task}: {event.actor} says {data.get('verdict')}"
        case "branch_merged":
            return f"{task}: branch {data.get('branch')} merged into {data.get('base_branch')}"
        case "completed":
            return f"{task}: {data.get('to', 'done')} ({event.actor})"
        case "turn_started":
            return f"turn {data.get('turn_id')} of {data.get('agent')} starts ({data.get('trigger')})"
        case "turn_ended":
            return f"turn {data.get('turn_id')} ends: {data.get('status')}"
    return f"{task}: {event.kind}"


def make_repository(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("# app\n\nA web app that is about to get notifications.\n")
    git(path, "add", "README.md")
    git(path, "-c", "user.name=demo", "-c", "user.email=demo@demo.invalid", "commit", "-q", "-m", "Start the app")
    return path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def summary_lines(result: DemoResult) -> list[str]:
    lines = [f"feature #{result.feature_id} {FEATURE!r}: {result.feature_status}", "", "turns:"]
    for turn in result.turns:
        took = f"{turn.duration_seconds:.1f}s" if turn.duration_seconds is not None else "-"
        lines.append(f"  {turn.id:>3} {turn.agent:<13} {turn.trigger.value:<17} {turn.status.value:<10} {took}")
    lines += ["", f"git log main ({result.repository}):", *(f"  {line}" for line in result.main_log)]
    return lines
