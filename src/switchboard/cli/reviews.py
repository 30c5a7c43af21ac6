"""CLI commands for reviews: `review request`, `review submit` and `review list`."""

from __future__ import annotations

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
from switchboard.cli.tasks import TaskId
from switchboard.client import DEFAULT_URL

EXCERPT_CHARS = 80

review_app = typer.Typer(help="Reviews: send a task to a reviewer, give the verdict, see who reviews what.")


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review", no_args_is_help=True)


@review_app.command("request")
def review_request(
    task_id: TaskId,
    reviewer: Annotated[
        str | None, typer.Option(help="The agent to ask (name or id); default: the hub picks a reviewer.")
    ] = None,
    summary: Annotated[str | None, typer.Option(help="What changed and how it was tested.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send a claimed task to review: it waits in review while a reviewer is asked for a verdict."""
    body = {k: v for k, v in {"reviewer": reviewer, "summary": summary}.items() if v is not None}
    with hub_session(url, key) as client:
        answer = client.post(f"/tasks/{task_id}/review-request", body)
    review = answer["review"]
    report(answer, as_json, f"task #{task_id} is in review by {review['reviewer']} (review #{review['id']})")


@review_app.command("submit")
def review_submit(
    task_id: TaskId,
    verdict: Annotated[str, typer.Argument(help="approve, request_changes or reject.")],
    summary: Annotated[str | None, typer.Option(help="Your judgement in a few lines.")] = None,
    comment: Annotated[
        list[str] | None,
        typer.Option("--comment", help="A concrete comment, e.g. 'login.py:42: validate the e-mail' (repeatable)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give the verdict on a task in review: approve (done), request_changes (back to its engineer), reject."""
    body: dict[str, Any] = {"verdict": verdict, "comments": comment or []}
    if summary is not None:
        body["summary"] = summary
    with hub_session(url, key) as client:
        answer = client.post(f"/tasks/{task_id}/reviews", body)
    report(answer, as_json, _verdict_line(answer))


@review_app.command("list")
def review_list(
    task: Annotated[int | None, typer.Option("--task", help="Every review of this task.")] = None,
    status: Annotated[
        str, typer.Option(help="pending, approved, changes_requested, rejected, withdrawn or all (not with --task).")
    ] = "pending",
    reviewer: Annotated[str | None, typer.Option(help="Only reviews assigned to this agent.")] = None,
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The team's reviews (pending ones by default), or with --task that task's review history."""
    with hub_session(url, key) as client:
        if task is not None:
            answer = client.get(f"/tasks/{task}/reviews")
        else:
            answer = client.get(f"/teams/{resolve_team(client, team)}/reviews", status=status, reviewer=reviewer)
    if as_json:
        print_json(answer)
        return
    if not answer["reviews"]:
        say("no reviews")
        return
    columns = ["id", "task", "title", "engineer", "reviewer", "status", "requested", "verdict"]
    table("reviews", columns, [_review_row(r) for r in answer["reviews"]])


def _verdict_line(answer: dict[str, Any]) -> str:
    review, task, merge = answer["review"], answer["task"], answer.get("merge")
    line = f"review #{review['id']}: {review['status']}; task #{task['id']} is {task['status']}"
    if merge is not None and merge["merged"]:
        line += f"; merged into {merge['base_branch']} as {merge['merge_commit']}"
    elif merge is not None:
        line += f"; its branch conflicts with {merge['base_branch']}, so it went back to {task['holder']}"
    return line


def _review_row(r: dict[str, Any]) -> list[Any]:
    verdict = r["verdict_summary"] or ""
    excerpt = verdict if len(verdict) <= EXCERPT_CHARS else verdict[: EXCERPT_CHARS - 1] + "…"
    title = r["task_title"]
    return [r["id"], r["task_id"], title, r["engineer"], r["reviewer"], r["status"], r["created_at"], excerpt or None]
