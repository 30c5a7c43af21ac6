"""The Hub wires storage and services together and runs the hub's periodic work."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import sqlalchemy as sa

from switchboard.background import BackgroundLoop
from switchboard.clock import Clock, system_clock
from switchboard.config import Settings
from switchboard.dashboard.sessions import WebSessionService
from switchboard.dispatch.service import TurnService
from switchboard.errors import SwitchboardError
from switchboard.messages.service import MessageService
from switchboard.metrics import HubMetrics
from switchboard.presence.service import SessionService
from switchboard.questions.service import QuestionService
from switchboard.ratelimit import RateLimiter
from switchboard.reviews.service import ReviewService
from switchboard.sprints.service import SprintService
from switchboard.state.service import ProgramStateService
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.storage.migrate import upgrade
from switchboard.storage.notifier import Notifier
from switchboard.tasks.claims import ClaimService
from switchboard.tasks.overview import TaskOverview
from switchboard.tasks.service import TaskService
from switchboard.teams.keys import KeyService
from switchboard.teams.service import TeamService
from switchboard.usage.service import UsageService
from switchboard.webhooks.service import WebhookService
from switchboard.worktrees.service import WorktreeService

log = logging.getLogger("switchboard")
WEBHOOK_INTERVAL_SECONDS = 1.0


class Hub:
    """Everything one hub process needs: the database and the services over it."""

    def __init__(self, settings: Settings, clock: Clock = system_clock) -> None:
        self.settings = settings
        self.clock = clock
        self.db = Database(settings.resolved_database_url, pool_size=settings.db_pool_size)
        self.teams = TeamService(self.db, clock)
        self.keys = KeyService(self.db, clock, self.teams)
        self.tasks = TaskService(self.db, clock, self.teams)
        self.overview = TaskOverview(self.db, clock, self.teams)
        self.claims = ClaimService(self.db, clock)
        self.messages = MessageService(self.db, clock, self.teams)
        self.sprints = SprintService(self.db, clock, self.teams, self.tasks, self.claims)
        self.states = ProgramStateService(self.db, clock, self.teams)
        self.questions = QuestionService(self.db, clock, self.teams)
        self.usage = UsageService(self.db, clock, self.teams)
        self.sessions = SessionService(self.db, clock, self.teams)
        self.worktrees = WorktreeService(self.db, clock, self.teams)
        self.claims.on_batch_claimed.append(self.worktrees.look_up_repositories)
        self.claims.on_claimed.append(self.worktrees.ensure_worktree)
        self.claims.on_finished.append(self.worktrees.release)
        self.tasks.on_finished.append(self.worktrees.release)
        self.reviews = ReviewService(self.db, clock, self.teams, self.claims, self.worktrees)
        self.claims.on_finished_in_review.append(self.reviews.withdraw_pending)
        self.tasks.on_finished.append(self.reviews.withdraw_pending)
        self.webhooks = WebhookService(self.db, clock, self.teams)
        self.turns = TurnService(self.db, clock, self.teams)
        self.web_sessions = WebSessionService(self.db, clock, self.keys)
        self.rate_limiter = RateLimiter(settings.rate_per_second, settings.rate_burst)
        self.metrics = HubMetrics()
        self._housekeeping = BackgroundLoop(self.metrics.count_background_error)
        self._webhook_loop = BackgroundLoop(self.metrics.count_background_error)
        self.claims.on_claimed.append(self.metrics.count_claim)
        self.claims.on_conflict.append(self.metrics.claim_conflicts.inc)
        self.db.on_unavailable.append(self.metrics.database_errors.inc)
        self.notifier.on_wake.append(self.metrics.wake_latency.observe)
        self.notifier.on_error.append(self.metrics.count_background_error)
        self.metrics.watch_notifier(self.notifier)

    @property
    def notifier(self) -> Notifier:
        return self.db.notifier

    async def start_listening(self) -> None:
        """Hear changes other hub processes commit (PostgreSQL); safe to call more than once."""
        await self.db.notifier.start()

    async def migrate(self) -> None:
        if self.db.is_sqlite:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade(self.db)

    async def ensure_admin_key(self) -> str | None:
        """On first start: a default org and an admin key, kept in a file only its owner can read.

        Returns the plaintext when a new key was written, else None.
        """
        path = self.settings.admin_key_file
        if path.exists():
            try:
                await self.keys.authenticate(path.read_text().strip())
                return None
            except SwitchboardError:
                log.warning("the admin key in %s no longer works; writing a new one", path)
        async with self.db.write() as conn:
            org_id = await conn.scalar(sa.select(s.orgs.c.id).order_by(s.orgs.c.id).limit(1))
            if org_id is None:
                org_id = (await self.teams.create_org(conn, "Default", "default")).id
            issued = await self.keys.issue(conn, org_id, None, "local admin (admin.key)")
        _write_private(path, issued.plaintext)
        return issued.plaintext

    async def run_periodic(self) -> None:
        """Hub housekeeping until cancelled: the lease sweep, question expiry, closing silent sessions; and
        webhook deliveries in their own loop, so a slow receiver never holds up the rest."""
        async with anyio.create_task_group() as group:
            group.start_soon(self._run_webhook_deliveries)
            while True:
                await anyio.sleep(self.settings.sweep_interval_seconds)
                # Stopping waits for the round: a database call cut off halfway can hang the loop's shutdown.
                with anyio.CancelScope(shield=True):
                    await self.housekeeping()
                await self._housekeeping.pause()

    async def _run_webhook_deliveries(self) -> None:
        while True:
            await anyio.sleep(min(self.settings.sweep_interval_seconds, WEBHOOK_INTERVAL_SECONDS))
            await self.deliver_webhooks()
            await self._webhook_loop.pause()

    async def deliver_webhooks(self) -> None:
        """One round of webhook work: new events become deliveries, and those due are sent."""
        with self._webhook_loop.job("webhook_deliveries"):
            await self.webhooks.scan()
            sent = await self.webhooks.deliver_due()
            if sent.failed or sent.disabled:
                log.warning("webhooks: %d deliveries gave up, %d webhook(s) disabled", sent.failed, len(sent.disabled))

    async def housekeeping(self) -> None:
        """One round of periodic work; a job that fails is logged and retried next round."""
        jobs = self._housekeeping.job
        with jobs("lease_sweep"):
            swept = await self.claims.sweep_expired_leases()
            self.metrics.lease_expiries.inc(len(swept.returned) + len(swept.failed))
            if swept.returned or swept.failed:
                log.info("lease sweep: %d returned to ready, %d failed", len(swept.returned), len(swept.failed))
        with jobs("question_expiry"):
            if expired := await self.questions.expire_due():
                log.info("%d unanswered question(s) expired", expired)
        with jobs("closing_silent_sessions"):
            if closed := await self.sessions.close_silent():
                log.info("%d silent session(s) closed", closed)
        with jobs("removing_finished_worktrees"):
            if released := await self.worktrees.release_finished():
                log.info("%d worktree(s) of finished tasks removed", released)

    async def close(self) -> None:
        await self.db.dispose()


@asynccontextmanager
async def running_hub(settings: Settings, *, clock: Clock = system_clock) -> AsyncIterator[Hub]:
    """A migrated hub with an admin key, closed when the block ends. Periodic work is the caller's to run."""
    hub = Hub(settings, clock)
    try:
        await hub.migrate()
        await hub.ensure_admin_key()
        await hub.start_listening()
        yield hub
    finally:
        await hub.close()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
