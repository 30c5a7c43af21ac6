"""Sending webhook deliveries: events become deliveries, deliveries are POSTed, retried, and recorded.

Several hub processes may run this at once: a webhook being scanned and a delivery being sent are each taken
by one process (row locks with SKIP LOCKED, and a short claim on the delivery while its POST is under way).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.storage.database import dialect_insert
from switchboard.tasks.records import append_events
from switchboard.webhooks.models import ALL_EVENTS, DeliveryStatus, event_name, stored_kinds
from switchboard.webhooks.signing import signature

W = s.webhooks
D = s.webhook_deliveries
E = s.events
HUB_ACTOR = "hub"
PENDING = DeliveryStatus.PENDING.value

TIMEOUT_SECONDS = 10.0
# While one process is POSTing a delivery no other takes it; a process that dies mid-way leaves it due again after.
CLAIM_SECONDS = 60
BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 3600
MAX_ATTEMPTS = 8
DISABLE_AFTER_FAILURES = 20
SCAN_BATCH = 500
SEND_BATCH = 100
SEND_CONCURRENCY = 10
# On PostgreSQL an event with a lower id can commit after one with a higher id. The cursor therefore trails the
# newest events by this much; events inside the window are re-read, and the unique (webhook, event) pair keeps
# each to one delivery.
SETTLE_SECONDS = 60
ERROR_CHARS = 500


@dataclass(frozen=True)
class RoundResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Outcome:
    delivery_id: int
    webhook_id: int
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DeliveryEngine:
    def __init__(self, db: Database, clock: Clock, http_client: httpx.AsyncClient | None = None) -> None:
        self.db = db
        self.clock = clock
        self.http_client = http_client
        self.max_attempts = MAX_ATTEMPTS
        self.disable_after = DISABLE_AFTER_FAILURES

    # -- events into deliveries ---------------------------------------------------------------------------------

    async def scan(self) -> int:
        async with self.db.read() as conn:
            ids = list(await conn.scalars(sa.select(W.c.id).where(W.c.active.is_(True)).order_by(W.c.id)))
        made = 0
        for webhook_id in ids:
            made += await self._scan_one(webhook_id)
        return made

    async def _scan_one(self, webhook_id: int) -> int:
        now = self.clock()
        async with self.db.write() as conn:
            query = sa.select(W).where(W.c.id == webhook_id, W.c.active.is_(True))
            hook = (await conn.execute(self.db.lock_rows(query, skip_locked=True))).first()
            if hook is None:
                return 0  # removed, disabled, or another hub is scanning it right now
            names = set(hook.events)
            rows = (
                await conn.execute(
                    sa.select(E)
                    .where(E.c.team_id == hook.team_id, E.c.id > hook.last_event_id, E.c.kind.in_(stored_kinds(names)))
                    .order_by(E.c.id)
                    .limit(SCAN_BATCH)
                )
            ).all()
            known = set(
                await conn.scalars(
                    sa.select(D.c.event_id).where(D.c.webhook_id == webhook_id, D.c.event_id > hook.last_event_id)
                )
            )
            fresh = []
            for event in rows:
                name = event_name(event.kind, event.data)
                if event.id in known or name is None or (ALL_EVENTS not in names and name not in names):
                    continue
                fresh.append(_delivery_values(webhook_id, event, name, now))
            if fresh:
                insert = dialect_insert(conn, D).on_conflict_do_nothing(index_elements=["webhook_id", "event_id"])
                await conn.execute(insert, fresh)
            cursor = _settled_cursor(rows, hook.last_event_id, now, full=len(rows) == SCAN_BATCH)
            if cursor != hook.last_event_id:
                await conn.execute(W.update().where(W.c.id == webhook_id).values(last_event_id=cursor))
        return len(fresh)

    # -- sending ------------------------------------------------------------------------------------------------

    async def deliver_due(self) -> RoundResult:
        claimed = await self._claim_due()
        if not claimed:
            return RoundResult()
        outcomes: list[_Outcome] = []
        if self.http_client is not None:
            await self._send_all(self.http_client, claimed, outcomes)
        else:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
                await self._send_all(client, claimed, outcomes)
        return await self._record(outcomes)

    async def _claim_due(self) -> list[Any]:
        now = self.clock()
        active = sa.select(W.c.id).where(W.c.active.is_(True))
        query = (
            sa.select(D, W.c.url, W.c.secret, W.c.team_id)
            .join(W, W.c.id == D.c.webhook_id)
            .where(D.c.status == PENDING, D.c.next_attempt_at <= now, D.c.webhook_id.in_(active))
            .order_by(D.c.next_attempt_at, D.c.id)
            .limit(SEND_BATCH)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(of=D, skip_locked=True)
        async with self.db.write() as conn:
            rows = (await conn.execute(query)).all()
            if rows:
                await conn.execute(
                    D.update()
                    .where(D.c.id.in_([r.id for r in rows]))
                    .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
                )
        return list(rows)

    async def _send_all(self, client: httpx.AsyncClient, rows: list[Any], outcomes: list[_Outcome]) -> None:
        limiter = anyio.CapacityLimiter(SEND_CONCURRENCY)

        async def send(row: Any) -> None:
            async with limiter:
                outcomes.append(await self._send(client, row))

        async with anyio.create_task_group() as group:
            for row in rows:
                group.start_soon(send, row)

    async def _send(self, client: httpx.AsyncClient, row: Any) -> _Outcome:
        body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = int(self.clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Switchboard-Webhooks",
            "X-Switchboard-Event": row.kind,
            "X-Switchboard-Delivery": str(row.id),
            "X-Switchboard-Timestamp": str(timestamp),
            "X-Switchboard-Signature": signature(row.secret, timestamp, body),
        }
        try:
            response = await client.post(row.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        # InvalidURL is not an HTTPError; a URL the client cannot use counts as a failed attempt like any other.
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            return _Outcome(row.id, row.webhook_id, None, _describe(exc))
        error = None if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}"
        return _Outcome(row.id, row.webhook_id, response.status_code, error)

    # -- recording ----------------------------------------------------------------------------------------------

    async def _record(self, outcomes: list[_Outcome]) -> RoundResult:
        counts = {"delivered": 0, "retrying": 0, "failed": 0}
        disabled: list[int] = []
        for outcome in sorted(outcomes, key=lambda o: o.delivery_id):
            now = self.clock()
            async with self.db.write() as conn:
                counts[await self._record_one(conn, outcome, now)] += 1
                if await self._count_on_webhook(conn, outcome, now):
                    disabled.append(outcome.webhook_id)
        return RoundResult(counts["delivered"], counts["retrying"], counts["failed"], tuple(disabled))

    async def _record_one(self, conn: AsyncConnection, outcome: _Outcome, now: datetime) -> str:
        attempts = D.c.attempts + 1
        common = {"attempts": attempts, "last_status_code": outcome.status_code, "last_error": outcome.error}
        if outcome.ok:
            values = {**common, "status": DeliveryStatus.DELIVERED.value, "delivered_at": now, "next_attempt_at": None}
            result = "delivered"
        else:
            done = await conn.scalar(sa.select(D.c.attempts).where(D.c.id == outcome.delivery_id)) or 0
            if done + 1 >= self.max_attempts:
                values = {**common, "status": DeliveryStatus.FAILED.value, "next_attempt_at": None}
                result = "failed"
            else:
                values = {**common, "next_attempt_at": now + timedelta(seconds=backoff_seconds(done + 1))}
                result = "retrying"
        await conn.execute(D.update().where(D.c.id == outcome.delivery_id, D.c.status == PENDING).values(**values))
        return result

    async def _count_on_webhook(self, conn: AsyncConnection, outcome: _Outcome, now: datetime) -> bool:
        """Track the webhook's run of failures; disable it, with an alert, when the run gets too long."""
        if outcome.ok:
            await conn.execute(W.update().where(W.c.id == outcome.webhook_id).values(consecutive_failures=0))
            return False
        hook = (
            await conn.execute(
                W.update()
                .where(W.c.id == outcome.webhook_id)
                .values(consecutive_failures=W.c.consecutive_failures + 1)
                .returning(W)
            )
        ).first()
        if hook is None or not hook.active or hook.consecutive_failures < self.disable_after:
            return False
        reason = f"{hook.consecutive_failures} deliveries in a row failed; the last: {outcome.error}"[:ERROR_CHARS]
        await conn.execute(
            W.update().where(W.c.id == hook.id).values(active=False, disabled_reason=reason, disabled_at=now)
        )
        message = f"Webhook #{hook.id} to {hook.url} was disabled: {reason}"
        alert_id = await conn.scalar(
            s.alerts.insert()
            .values(team_id=hook.team_id, raised_by=HUB_ACTOR, message=message, priority="high", created_at=now)
            .returning(s.alerts.c.id)
        )
        data = {"webhook_id": hook.id, "url": hook.url, "reason": reason, "alert_id": alert_id}
        await append_events(conn, hook.team_id, HUB_ACTOR, now, [(None, "webhook_disabled", data)])
        return True


def backoff_seconds(attempts: int) -> int:
    """The wait before the next try after `attempts` failed ones: 10 s, 20 s, 40 s, ... at most an hour."""
    return min(BACKOFF_BASE_SECONDS << (attempts - 1), BACKOFF_CAP_SECONDS)


def _delivery_values(webhook_id: int, event: Any, name: str, now: datetime) -> dict[str, Any]:
    data = dict(event.data)
    data.setdefault("task_id", event.task_id)
    data.setdefault("actor", event.actor)
    payload = {
        "id": event.id,
        "event": name,
        "team_id": event.team_id,
        "occurred_at": event.at.isoformat(),
        "data": data,
    }
    return {
        "webhook_id": webhook_id,
        "event_id": event.id,
        "kind": name,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _settled_cursor(rows: Sequence[Any], cursor: int, now: datetime, full: bool) -> int:
    """The highest event id it is safe never to read again: the end of the run of events old enough that none
    before them can still commit. A full batch moves on regardless, so a backlog is worked through."""
    if full:
        return max(cursor, int(rows[-1].id))
    horizon = now - timedelta(seconds=SETTLE_SECONDS)
    for event in rows:
        if event.at > horizon:
            break
        cursor = event.id
    return cursor


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:ERROR_CHARS]
