"""The `webhook` commands: register a URL for a team's events, list webhooks, read and re-enable deliveries."""

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
from switchboard.client import DEFAULT_URL
from switchboard.webhooks.models import EVENT_NAMES

webhook_app = typer.Typer(help="Outgoing webhooks: POST a team's events to a URL.", no_args_is_help=True)

WebhookId = Annotated[int, typer.Argument(help="The webhook's id.")]


@webhook_app.command("add")
def webhook_add(
    target_url: Annotated[str, typer.Argument(metavar="URL", help="The http(s) address to POST events to.")],
    event: Annotated[
        list[str],
        typer.Option("--event", "-e", help=f"Repeatable: {', '.join(EVENT_NAMES)}, or * for all."),
    ],
    secret: Annotated[str | None, typer.Option(help="Your own signing secret; else one is generated.")] = None,
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a webhook; its signing secret is printed this once."""
    body: dict[str, Any] = {"url": target_url, "events": event}
    if secret is not None:
        body["secret"] = secret
    with hub_session(url, key) as client:
        answer = client.post(f"/teams/{resolve_team(client, team)}/webhooks", body)
    report(
        answer,
        as_json,
        f"webhook #{answer['id']} sends {', '.join(answer['events'])} to {answer['url']}\n"
        f"signing secret (shown only now): {answer['secret']}",
    )


@webhook_app.command("list")
def webhook_list(
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The team's webhooks, and why any was disabled."""
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{resolve_team(client, team)}/webhooks")
    if as_json:
        print_json(answer)
        return
    if not answer["webhooks"]:
        say("no webhooks")
        return
    rows = [
        [
            w["id"],
            w["url"],
            w["events"],
            "yes" if w["active"] else "no",
            w["consecutive_failures"],
            w["disabled_reason"],
        ]
        for w in answer["webhooks"]
    ]
    table("webhooks", ["id", "url", "events", "active", "failures in a row", "disabled because"], rows)


@webhook_app.command("deliveries")
def webhook_deliveries(
    webhook_id: WebhookId,
    status: Annotated[str | None, typer.Option(help="pending, delivered, failed or all (default).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A webhook's deliveries, newest first."""
    params: dict[str, Any] = {"limit": limit}
    if status is not None:
        params["status"] = status
    with hub_session(url, key) as client:
        answer = client.get(f"/webhooks/{webhook_id}/deliveries", **params)
    if as_json:
        print_json(answer)
        return
    if not answer["deliveries"]:
        say("no deliveries")
        return
    rows = [
        [d["id"], d["event"], d["status"], d["attempts"], d["last_status_code"], d["last_error"], d["next_attempt_at"]]
        for d in answer["deliveries"]
    ]
    table("deliveries", ["id", "event", "status", "attempts", "last status", "last error", "next try"], rows)


@webhook_app.command("enable")
def webhook_enable(
    webhook_id: WebhookId, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """Turn a disabled webhook back on; its pending deliveries are retried at once."""
    with hub_session(url, key) as client:
        answer = client.post(f"/webhooks/{webhook_id}/enable")
    report(answer, as_json, f"webhook #{answer['id']} is active again")


@webhook_app.command("remove")
def webhook_remove(
    webhook_id: WebhookId, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """Delete a webhook with its deliveries."""
    with hub_session(url, key) as client:
        answer = client.delete(f"/webhooks/{webhook_id}")
    report(answer, as_json, f"removed webhook #{answer['id']} ({answer['url']})")
