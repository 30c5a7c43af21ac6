"""Reading and updating program state, with versions and a history."""

from __future__ import annotations

from switchboard.clock import Clock
from switchboard.storage import Database
from switchboard.teams.service import TeamService


class ProgramStateService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
