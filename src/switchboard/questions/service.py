"""Asking, answering and expiring questions; raising alerts."""

from __future__ import annotations

from switchboard.clock import Clock
from switchboard.storage import Database
from switchboard.teams.service import TeamService


class QuestionService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def expire_due(self) -> int:
        """Expire unanswered questions past their timeout; returns how many."""
        return 0
