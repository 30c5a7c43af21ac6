"""`switchboard dashboard` against a real hub process: a link that signs a browser in once."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.live_hub import LiveHub, live_hub_for
from tests.test_cli import new_team, run, run_json


@pytest.fixture(scope="module", params=["sqlite"])
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def test_the_printed_link_signs_a_browser_in_once(live_hub: LiveHub) -> None:
    shown = run(live_hub, "dashboard")
    assert shown.exit_code == 0, shown.output
    link = next(line for line in shown.stdout.splitlines() if line.startswith(f"{live_hub.url}/dashboard/login/"))

    with httpx.Client() as browser:
        first = browser.get(link)
        me = browser.get(f"{live_hub.url}/api/v1/whoami").json()
        again = browser.get(link)

    assert (first.status_code, first.headers["location"]) == (303, "/dashboard")
    assert me["kind"] == "admin"
    assert again.status_code == 401


def test_the_links_token_stays_out_of_the_hubs_log(live_hub: LiveHub) -> None:
    link = run_json(live_hub, "dashboard")["url"]
    token = link.rsplit("/", 1)[1]

    assert httpx.get(link).status_code == 303

    log = (live_hub.data_dir.parent / "hub.log").read_text()
    assert "/dashboard/login/…" in log
    assert token not in log


def test_an_agent_key_gets_no_link(live_hub: LiveHub, tmp_path_factory: pytest.TempPathFactory) -> None:
    team = new_team(live_hub, tmp_path_factory.mktemp("agents"), "builder:engineer")

    refused = run(live_hub, "dashboard", key=team["keys"]["builder"])

    assert refused.exit_code == 1
    assert "admin key" in refused.output
