"""`switchboard dashboard`: a one-time link that signs a browser in to the dashboard."""

from __future__ import annotations

import webbrowser
from datetime import datetime
from typing import Annotated

import typer

from switchboard.cli._common import JsonOption, KeyOption, UrlOption, hub_session, print_json, say
from switchboard.client import DEFAULT_URL


def dashboard(
    open_browser: Annotated[bool, typer.Option("--open", help="Open the link in the default browser too.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print a link that signs a browser in to the dashboard as your admin key: it works once, for ten minutes."""
    with hub_session(url, key) as client:
        link = client.post("/dashboard/login-links")
    address = f"{client.url}{link['path']}"
    if as_json:
        print_json({"url": address, "expires_at": link["expires_at"]})
    else:
        until = datetime.fromisoformat(link["expires_at"]).astimezone().strftime("%H:%M")
        say(f"Open this link to sign in to the dashboard (it works once, until {until}):")
        say(address)
    if open_browser:
        webbrowser.open(address)
