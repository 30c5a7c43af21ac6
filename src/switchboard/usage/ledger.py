"""The cost ledger: one row per usage report, written in the transaction of the call that reports it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import InvalidInput
from switchboard.limits import check_chars
from switchboard.storage import schema as s
from switchboard.tasks.models import Usage

# Far above any real report, and far below the 64-bit counters they are added to.
TOKENS_MAX = 10**12
COST_MAX_USD = 10.0**9
MODEL_MAX_CHARS = 200


class Source:
    """Which call wrote a ledger row."""

    REPORT = "report"
    COMPLETE_TASK = "complete_task"


def check_usage(usage: Usage) -> None:
    """The one rule for usage figures, whoever reports them."""
    if usage.tokens_in < 0 or usage.tokens_out < 0 or usage.cost_usd < 0:
        raise InvalidInput("usage figures cannot be negative")
    if max(usage.tokens_in, usage.tokens_out) > TOKENS_MAX or usage.cost_usd > COST_MAX_USD:
        raise InvalidInput(f"usage figures are capped at {TOKENS_MAX} tokens and {COST_MAX_USD} USD per report")
    check_chars("model", usage.model, MODEL_MAX_CHARS)


def is_empty(usage: Usage) -> bool:
    return not (usage.tokens_in or usage.tokens_out or usage.cost_usd)


async def record_usage(
    conn: AsyncConnection,
    team_id: int,
    agent_id: int | None,
    task_id: int | None,
    source: str,
    usage: Usage,
    now: datetime,
) -> int:
    """Write one ledger row; returns its id. The caller has checked the figures with `check_usage`."""
    result = await conn.execute(
        s.usage_records.insert()
        .values(
            team_id=team_id,
            agent_id=agent_id,
            task_id=task_id,
            source=source,
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
            cost_usd=usage.cost_usd,
            model=usage.model,
            at=now,
        )
        .returning(s.usage_records.c.id)
    )
    return int(result.scalar_one())


def usage_event(usage: Usage, source: str) -> dict[str, Any]:
    """The data of a `usage_reported` event, so live views can add up costs from the event stream."""
    return {
        "source": source,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "cost_usd": usage.cost_usd,
        "model": usage.model,
    }
