"""The `switchboard sprint` commands against a real hub process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.live_hub import BACKEND_PARAMS, LiveHub, live_hub_for
from tests.sprints.seed import SEED_CREATE_SPRINT
from tests.test_cli import new_team, run, run_json


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def live_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    yield from live_hub_for(request, tmp_path_factory)


def test_a_sprint_written_in_yaml_is_created_shown_and_listed(live_hub: LiveHub, tmp_path: Path) -> None:
    team = new_team(live_hub, tmp_path, "builder:engineer")
    builder, team_id = team["keys"]["builder"], str(team["team"]["id"])
    definition = tmp_path / "sprint.yaml"
    definition.write_text(yaml.safe_dump(SEED_CREATE_SPRINT, sort_keys=False))

    sprint = run_json(live_hub, "sprint", "create", str(definition), "--team", team_id)
    assert (sprint["project_name"], sprint["total"]) == ("Add user management", 6)
    assert [(w["wave"], w["status"]) for w in sprint["waves"]] == [(1, "open"), (2, "locked")]
    shown = run_json(live_hub, "sprint", "show", sprint["key"], key=builder)
    assert shown == sprint
    listed = run_json(live_hub, "sprint", "list", "--team", team_id, "--status", "active")
    assert [s["key"] for s in listed["sprints"]] == [sprint["key"]]

    wave_2 = str(sprint["waves"][1]["stories"][0]["task_id"])
    early = run(live_hub, "task", "claim", wave_2, key=builder)
    assert early.exit_code == 1
    assert "waiting for story-1, story-2, story-3" in early.stderr
    table = run(live_hub, "sprint", "show", str(sprint["id"]), key=builder)
    assert table.exit_code == 0
    assert "wave 2 (locked)" in table.stdout and "story-5" in table.stdout
    listing = run(live_hub, "sprint", "list", key=builder)
    assert listing.exit_code == 0 and sprint["key"] in listing.stdout


def test_a_json_sprint_completes_only_with_force_while_stories_are_open(live_hub: LiveHub, tmp_path: Path) -> None:
    team_id = str(new_team(live_hub, tmp_path)["team"]["id"])
    definition = tmp_path / "sprint.json"
    definition.write_text(json.dumps({"project_name": "Docs", "stories": [{"title": "Guide"}, {"title": "FAQ"}]}))
    sprint = run_json(live_hub, "sprint", "create", str(definition), "--team", team_id)

    refused = run(live_hub, "sprint", "complete", sprint["key"])
    assert refused.exit_code == 1
    assert "2 open stories: story-1 (ready), story-2 (ready)" in refused.stderr
    completed = run_json(live_hub, "sprint", "complete", sprint["key"], "--force")
    assert (completed["status"], completed["counts"]["cancelled"]) == ("completed", 2)


def test_a_definition_that_is_not_an_object_is_a_usage_error(live_hub: LiveHub, tmp_path: Path) -> None:
    definition = tmp_path / "sprint.yaml"
    definition.write_text("- just\n- a list\n")
    result = run(live_hub, "sprint", "create", str(definition), "--team", "1")
    assert result.exit_code == 2
    assert "must hold an object" in result.output
