"""Readiness: whether this hub process can serve calls now."""

from __future__ import annotations

from functools import cache

from switchboard.errors import SwitchboardError
from switchboard.storage.database import Database
from switchboard.storage.migrate import current_revision, head_revision
from switchboard.storage.notifier import PostgresNotifier


@cache
def _head() -> str | None:
    return head_revision()


async def readiness(db: Database) -> dict[str, str]:
    """Each check and its state: "ok", or why it is not ready. Ready when every check says "ok"."""
    checks: dict[str, str] = {}
    try:
        revision = await current_revision(db)
        checks["database"] = "ok"
        head = _head()
        checks["migrations"] = "ok" if revision == head else f"at {revision}, expected {head}"
    except SwitchboardError as exc:
        checks["database"] = exc.message
        checks["migrations"] = "unknown: the database did not answer"
    if isinstance(db.notifier, PostgresNotifier):
        checks["listener"] = "ok" if db.notifier.listening.is_set() else "not listening for other hubs' changes"
    return checks
