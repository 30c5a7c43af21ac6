"""The commands of the people in the loop: `questions`, `answer` and `alerts`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from switchboard.cli._common import JsonOption, KeyOption, TeamOption, UrlOption, hub_session, print_json, say, table
from switchboard.client import DEFAULT_URL

EXCERPT_CHARS = 200


def questions(
    team: TeamOption = None,
    show_all: Annotated[bool, typer.Option("--all", help="Answered and expired questions too.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Questions agents asked, pending ones by default; without --team, every team your key reaches."""
    status = "all" if show_all else "pending"
    with hub_session(url, key) as client:
        path = f"/teams/{team}/questions" if team is not None else "/questions"
        answer = client.get(path, status=status)
    if as_json:
        print_json(answer)
        return
    found = answer["questions"]
    if not found:
        say("no pending questions" if not show_all else "no questions")
        return
    org_wide = team is None
    columns = ["id", "asked by", "kind", "question", "options", *(["status", "answer"] if show_all else ["expires"])]
    table(
        "questions", ["team", *columns] if org_wide else columns, [_question_row(q, org_wide, show_all) for q in found]
    )
    say("answer one with: switchboard answer ID TEXT")


def answer(
    question_id: Annotated[int, typer.Argument(help="The question's id.")],
    text: Annotated[str, typer.Argument(help="The answer; when the question has options, one of them.")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a pending question; the agent that asked is sent a message with the answer."""
    with hub_session(url, key) as client:
        answered = client.post(f"/questions/{question_id}/answer", {"answer": text})
    if as_json:
        print_json(answered)
    else:
        say(f"answered question #{answered['id']} from {answered['asked_by']}: {answered['answer']}")


def alerts(
    team: TeamOption = None,
    show_all: Annotated[bool, typer.Option("--all", help="Acknowledged alerts too.")] = False,
    ack: Annotated[
        list[int] | None, typer.Option("--ack", help="Acknowledge this alert first (repeatable).", show_default=False)
    ] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Alerts agents raised, newest first, unacknowledged ones by default; --ack ID marks one as seen."""
    with hub_session(url, key) as client:
        acknowledged = [client.post(f"/alerts/{alert_id}/acknowledge") for alert_id in ack or []]
        path = f"/teams/{team}/alerts" if team is not None else "/alerts"
        answer = client.get(path, unacknowledged_only=str(not show_all).lower())
    if as_json:
        print_json({**answer, "acknowledged": acknowledged} if ack else answer)
        return
    for alert in acknowledged:
        say(f"acknowledged alert #{alert['id']}")
    if not answer["alerts"]:
        say("no alerts" if show_all else "no unacknowledged alerts")
        return
    org_wide = team is None
    columns = ["id", "priority", "raised by", "task", "message", "at", *(["acknowledged by"] if show_all else [])]
    rows = [_alert_row(a, org_wide, show_all) for a in answer["alerts"]]
    table("alerts", ["team", *columns] if org_wide else columns, rows)


def _alert_row(a: dict[str, Any], org_wide: bool, show_all: bool) -> list[Any]:
    row = [a["id"], a["priority"], a["raised_by"], a["task_id"], _excerpt(a["message"]), a["created_at"]]
    row += [a["acknowledged_by"]] if show_all else []
    return [a["team_id"], *row] if org_wide else row


def _question_row(q: dict[str, Any], org_wide: bool, show_all: bool) -> list[Any]:
    row = [q["id"], q["asked_by"], q["kind"], _excerpt(q["question"]), q["options"]]
    row += [q["status"], q["answer"]] if show_all else [q["expires_at"]]
    return [q["team_id"], *row] if org_wide else row


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def register(app: typer.Typer) -> None:
    app.command()(questions)
    app.command()(answer)
    app.command()(alerts)
