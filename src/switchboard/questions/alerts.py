"""Alerts: something agents want the people watching to see, kept until a person acknowledges it."""

from __future__ import annotations

import sqlalchemy as sa

from switchboard.clock import Clock
from switchboard.errors import InvalidInput
from switchboard.limits import check_bytes
from switchboard.questions.models import Alert, AlertPriority
from switchboard.questions.records import ensure_team_task, load_visible, team_scope
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks.records import append_events
from switchboard.teams.access import require_manager
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService

A = s.alerts
LIST_MAX = 500
EVENT_EXCERPT_CHARS = 500


class AlertService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def send_alert(
        self,
        principal: Principal,
        message: str,
        priority: str | None = None,
        task_id: int | None = None,
        team_id: int | None = None,
    ) -> Alert:
        """Record an alert for the people watching the team."""
        if not isinstance(message, str) or not message.strip():
            raise InvalidInput("message is required", field="message")
        check_bytes("message", message)
        level = AlertPriority.parse(priority)
        team = await self.teams.default_team(principal, team_id)
        now = self.clock()
        async with self.db.write() as conn:
            if task_id is not None:
                await ensure_team_task(conn, team.id, task_id)
            row = (
                await conn.execute(
                    A.insert()
                    .values(
                        team_id=team.id,
                        agent_id=principal.agent.id if principal.agent is not None else None,
                        raised_by=principal.actor,
                        message=message,
                        priority=level.value,
                        task_id=task_id,
                        created_at=now,
                    )
                    .returning(A)
                )
            ).one()
            data = {"alert_id": row.id, "priority": level.value, "message": message[:EVENT_EXCERPT_CHARS]}
            await append_events(conn, team.id, principal.actor, now, [(task_id, "alert", data)])
        return Alert.from_row(row)

    async def list_alerts(
        self, principal: Principal, team_id: int | None = None, unacknowledged_only: bool = False, limit: int = 100
    ) -> list[Alert]:
        """Newest first, for people and managers. With no team named, an admin key sees its whole org."""
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"limit must be from 1 to {LIST_MAX}", limit=limit)
        scope = await team_scope(self.teams, principal, A.c.team_id, team_id)
        if principal.agent is not None:
            require_manager(principal, principal.agent.team_id, "read alerts")
        if unacknowledged_only:
            scope = sa.and_(scope, A.c.acknowledged_at.is_(None))
        async with self.db.read() as conn:
            rows = await conn.execute(sa.select(A).where(scope).order_by(A.c.id.desc()).limit(limit))
            return [Alert.from_row(r) for r in rows]

    async def acknowledge_alert(self, principal: Principal, alert_id: int) -> Alert:
        """Mark an alert as seen; acknowledging it again changes nothing."""
        now = self.clock()
        async with self.db.write() as conn:
            row = await load_visible(conn, A, "alert", alert_id, principal, self.db.lock_rows)
            require_manager(principal, row.team_id, "acknowledge alerts")
            if row.acknowledged_at is not None:
                return Alert.from_row(row)
            updated = (
                await conn.execute(
                    A.update()
                    .where(A.c.id == alert_id)
                    .values(acknowledged_at=now, acknowledged_by=principal.actor)
                    .returning(A)
                )
            ).one()
            await append_events(
                conn, row.team_id, principal.actor, now, [(row.task_id, "alert_acknowledged", {"alert_id": alert_id})]
            )
        return Alert.from_row(updated)
