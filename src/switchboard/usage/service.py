"""Reporting usage and summing it per agent, task, team and day."""

from __future__ import annotations

from switchboard.clock import Clock
from switchboard.storage import Database
from switchboard.teams.service import TeamService


class UsageService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
