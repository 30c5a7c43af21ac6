"""Registering a team's webhooks and reading their deliveries. Sending them lives in `delivery.py`."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import InvalidInput, NotFound
from switchboard.limits import ID_MAX
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks.records import append_events
from switchboard.teams.access import require_manager
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService
from switchboard.webhooks.delivery import DeliveryEngine, RoundResult
from switchboard.webhooks.models import Delivery, DeliveryStatus, NewWebhook, Webhook, parse_events, parse_url
from switchboard.webhooks.signing import new_secret

W = s.webhooks
D = s.webhook_deliveries
SECRET_MIN_CHARS = 16
SECRET_MAX_CHARS = 200
LIST_MAX = 500


class WebhookService:
    def __init__(
        self, db: Database, clock: Clock, teams: TeamService, http_client: httpx.AsyncClient | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
        self.engine = DeliveryEngine(db, clock, http_client)

    async def register(
        self,
        principal: Principal,
        team_id: int | None,
        url: str,
        events: Sequence[str] | str | None,
        secret: str | None = None,
    ) -> NewWebhook:
        """Tell `url` about the team's chosen events from now on. The secret that signs them is returned this once."""
        clean_url = parse_url(url)
        names = parse_events(events)
        secret = _parse_secret(secret) if secret is not None else new_secret()
        team = await self.teams.default_team(principal, team_id)
        require_manager(principal, team.id, "register webhooks")
        now = self.clock()
        async with self.db.write() as conn:
            # Events already recorded are not sent: the webhook starts after the newest one.
            cursor = await conn.scalar(sa.select(sa.func.coalesce(sa.func.max(s.events.c.id), 0)))
            row = (
                await conn.execute(
                    W.insert()
                    .values(
                        team_id=team.id,
                        url=clean_url,
                        secret=secret,
                        events=names,
                        active=True,
                        consecutive_failures=0,
                        last_event_id=cursor,
                        created_by=principal.actor,
                        created_at=now,
                    )
                    .returning(W)
                )
            ).one()
            data = {"webhook_id": row.id, "url": clean_url, "events": names}
            await append_events(conn, team.id, principal.actor, now, [(None, "webhook_registered", data)])
        return NewWebhook(Webhook.from_row(row), secret)

    async def list_webhooks(self, principal: Principal, team_id: int | None = None) -> list[Webhook]:
        team = await self.teams.default_team(principal, team_id)
        require_manager(principal, team.id, "read webhooks")
        async with self.db.read() as conn:
            rows = await conn.execute(sa.select(W).where(W.c.team_id == team.id).order_by(W.c.id))
            return [Webhook.from_row(r) for r in rows]

    async def get(self, principal: Principal, webhook_id: int) -> Webhook:
        async with self.db.read() as conn:
            return Webhook.from_row(await self._load(conn, principal, webhook_id, "read webhooks"))

    async def remove(self, principal: Principal, webhook_id: int) -> Webhook:
        """Stop sending to a webhook and forget it with its deliveries."""
        now = self.clock()
        async with self.db.write() as conn:
            row = await self._load(conn, principal, webhook_id, "remove webhooks", lock=True)
            await conn.execute(D.delete().where(D.c.webhook_id == webhook_id))
            await conn.execute(W.delete().where(W.c.id == webhook_id))
            data = {"webhook_id": webhook_id, "url": row.url}
            await append_events(conn, row.team_id, principal.actor, now, [(None, "webhook_removed", data)])
        return Webhook.from_row(row)

    async def enable(self, principal: Principal, webhook_id: int) -> Webhook:
        """Turn a disabled webhook back on: its pending deliveries are retried and new events sent again."""
        now = self.clock()
        async with self.db.write() as conn:
            row = await self._load(conn, principal, webhook_id, "enable webhooks", lock=True)
            if row.active:
                return Webhook.from_row(row)
            updated = (
                await conn.execute(
                    W.update()
                    .where(W.c.id == webhook_id)
                    .values(active=True, consecutive_failures=0, disabled_reason=None, disabled_at=None)
                    .returning(W)
                )
            ).one()
            # Pending deliveries are due at once rather than after the backoff they had reached.
            await conn.execute(
                D.update()
                .where(D.c.webhook_id == webhook_id, D.c.status == DeliveryStatus.PENDING.value)
                .values(next_attempt_at=now)
            )
            data = {"webhook_id": webhook_id, "url": row.url}
            await append_events(conn, row.team_id, principal.actor, now, [(None, "webhook_enabled", data)])
        return Webhook.from_row(updated)

    async def list_deliveries(
        self, principal: Principal, webhook_id: int, status: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """A webhook's deliveries, newest first; `status` pending, delivered, failed or all."""
        wanted = DeliveryStatus.parse(status)
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"limit must be from 1 to {LIST_MAX}", limit=limit)
        async with self.db.read() as conn:
            await self._load(conn, principal, webhook_id, "read webhook deliveries")
            query = sa.select(D).where(D.c.webhook_id == webhook_id)
            if wanted is not None:
                query = query.where(D.c.status == wanted.value)
            rows = await conn.execute(query.order_by(D.c.id.desc()).limit(limit))
            return [Delivery.from_row(r) for r in rows]

    async def scan(self) -> int:
        """Turn new team events into deliveries for every active webhook; returns how many were made."""
        return await self.engine.scan()

    async def deliver_due(self) -> RoundResult:
        """Send the deliveries whose time has come and record how each went."""
        return await self.engine.deliver_due()

    async def _load(
        self, conn: AsyncConnection, principal: Principal, webhook_id: int, action: str, lock: bool = False
    ) -> sa.Row[tuple[object, ...]]:
        row = None
        if 0 < webhook_id <= ID_MAX:
            query = sa.select(W).where(W.c.id == webhook_id)
            row = (await conn.execute(self.db.lock_rows(query) if lock else query)).first()
        if row is not None:
            try:
                await self.teams.get_team(principal, row.team_id, conn)
            except NotFound:
                row = None
        if row is None:
            raise NotFound(f"webhook {webhook_id} not found")
        require_manager(principal, row.team_id, action)
        return row


def _parse_secret(secret: str) -> str:
    if not isinstance(secret, str) or not SECRET_MIN_CHARS <= len(secret) <= SECRET_MAX_CHARS:
        raise InvalidInput(
            f"secret must be {SECRET_MIN_CHARS} to {SECRET_MAX_CHARS} characters; leave it out to get one generated",
            field="secret",
        )
    return secret
