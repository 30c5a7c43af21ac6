"""Sending and reading messages; groups' membership lives in the teams service."""

from __future__ import annotations

from switchboard.clock import Clock
from switchboard.storage import Database
from switchboard.teams.service import TeamService


class MessageService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
