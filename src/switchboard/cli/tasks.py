"""The `task` commands: create, list, show, claim, complete, and a task's timeline."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from switchboard.cli._common import (
    JsonOption,
    KeyOption,
    TeamOption,
    UrlOption,
    hub_session,
    print_json,
    report,
    resolve_team,
    say,
    table,
)
from switchboard.client import DEFAULT_URL

task_app = typer.Typer(help="Tasks: create, list, claim, complete.", no_args_is_help=True)

TaskId = Annotated[int, typer.Argument(help="The task's id.")]


class CompletedStatus(StrEnum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@task_app.command("create")
def task_create(
    title: Annotated[str, typer.Argument(help="What is to be done, in one line.")],
    team: TeamOption = None,
    instructions: Annotated[str | None, typer.Option(help="Everything the agent needs to know.")] = None,
    target: Annotated[str | None, typer.Option(help="An agent, a group, @role, or all.")] = None,
    priority: Annotated[Priority | None, typer.Option(case_sensitive=False, show_default="normal")] = None,
    depends_on: Annotated[list[int] | None, typer.Option("--depends-on", help="Task id, repeatable.")] = None,
    task_type: Annotated[str | None, typer.Option("--type", help="feature, bug, chore, ...")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a task; it stays blocked until the tasks it depends on are done."""
    body: dict[str, Any] = {"title": title, "depends_on": depends_on or []}
    optional = {
        "instructions": instructions,
        "target": target,
        "priority": priority.value if priority else None,
        "task_type": task_type,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    with hub_session(url, key) as client:
        answer = client.post(f"/teams/{resolve_team(client, team)}/tasks", body)
    report(answer, as_json, f"created task {_line(answer)}")


@task_app.command("list")
def task_list(
    team: TeamOption = None,
    status: Annotated[str | None, typer.Option(help="ready, blocked, claimed, done, ... (comma-separated).")] = None,
    target: Annotated[str | None, typer.Option(help="Only tasks aimed at this agent, group or role.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The team's tasks, highest priority first."""
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{resolve_team(client, team)}/tasks", status=status, target=target, limit=limit)
    if as_json:
        print_json(answer)
        return
    rows = [
        (t["id"], t["status"], t["priority"], t["title"], t["target"], t["holder"], t["depends_on"])
        for t in answer["items"]
    ]
    table("tasks", ["id", "status", "priority", "title", "target", "holder", "depends on"], rows)
    if answer.get("next_cursor") is not None:
        say(f"more tasks follow (cursor {answer['next_cursor']})")


@task_app.command("show")
def task_show(
    task_id: TaskId, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """One task with its dependencies, dependents and sub-tasks."""
    with hub_session(url, key) as client:
        answer = client.get(f"/tasks/{task_id}")
    if as_json:
        print_json(answer)
        return
    fields = [
        "title", "status", "priority", "task_type", "target", "holder", "attempt", "lease_expires_at",
        "depends_on", "dependents", "blocked_reason", "progress", "completed_status", "result", "created_by",
        "created_at", "finished_at",
    ]  # fmt: skip
    table(f"task {answer['id']}", ["field", "value"], [(f, answer.get(f)) for f in fields])
    if answer.get("instructions"):
        say(answer["instructions"])


@task_app.command("claim")
def task_claim(
    task_id: TaskId, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """Claim a task for the agent whose key you use."""
    with hub_session(url, key) as client:
        answer = client.post(f"/tasks/{task_id}/claim")
    report(answer, as_json, f"claimed {_line(_task_of(answer))}")


@task_app.command("claim-next")
def task_claim_next(
    team: TeamOption = None, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """Claim the best ready task for you: highest priority, then oldest."""
    with hub_session(url, key) as client:
        answer = client.post(f"/teams/{resolve_team(client, team)}/tasks/claim-next")
    if as_json:
        print_json(answer)
    elif answer.get("task") is None:
        say("no ready task for you")
    else:
        say(f"claimed {_line(answer['task'])}")


@task_app.command("complete")
def task_complete(
    task_id: TaskId,
    status: Annotated[
        CompletedStatus, typer.Option(case_sensitive=False, help="How it ended.")
    ] = CompletedStatus.SUCCESS,
    result: Annotated[str | None, typer.Option(help="What was done, for whoever reads it next.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Finish a task you hold (managers and admins may finish any)."""
    body: dict[str, Any] = {"completed_status": status.value}
    if result is not None:
        body["result"] = result
    with hub_session(url, key) as client:
        answer = client.post(f"/tasks/{task_id}/complete", body)
    report(answer, as_json, f"completed {_line(_task_of(answer))}")


@task_app.command("events")
def task_events(
    task_id: TaskId, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """The task's timeline: every change, who made it and when."""
    with hub_session(url, key) as client:
        answer = client.get(f"/tasks/{task_id}/events")
    if as_json:
        print_json(answer)
        return
    rows = [(e["id"], e["at"], e["kind"], e["actor"], _compact(e.get("data"))) for e in answer["events"]]
    table(f"events of task {task_id}", ["id", "at", "kind", "actor", "data"], rows)


def _task_of(answer: dict[str, Any]) -> dict[str, Any]:
    # Claim and complete answer with the task itself or wrap it as {"task": ...}; show either.
    task = answer.get("task", answer)
    return task if isinstance(task, dict) else answer


def _line(task: dict[str, Any]) -> str:
    return f"#{task['id']} [{task['status']}] {task['title']}"


def _compact(data: Any) -> str:
    if not data:
        return "-"
    return ", ".join(f"{k}={v}" for k, v in data.items()) if isinstance(data, dict) else str(data)
