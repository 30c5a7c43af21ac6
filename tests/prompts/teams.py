"""A team record for rendering prompts without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from switchboard.teams.models import Team, TeamSettings


def a_team() -> Team:
    return Team(id=1, org_id=1, name="Payments", slug="payments", settings=TeamSettings(), created_at=datetime.now(UTC))
