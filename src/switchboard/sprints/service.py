"""Creating sprints, enforcing their waves, and reporting their progress."""

from __future__ import annotations

from switchboard.clock import Clock
from switchboard.storage import Database
from switchboard.tasks.claims import ClaimService
from switchboard.tasks.service import TaskService
from switchboard.teams.service import TeamService


class SprintService:
    def __init__(
        self, db: Database, clock: Clock, teams: TeamService, tasks: TaskService, claims: ClaimService
    ) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
        self.tasks = tasks
        self.claims = claims
