"""Agents' working sessions (their pulse) and when a silent one is closed."""

from __future__ import annotations

from switchboard.clock import Clock
from switchboard.storage import Database
from switchboard.teams.service import TeamService


class SessionService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def close_silent(self) -> int:
        """Close sessions silent for too long; returns how many."""
        return 0
