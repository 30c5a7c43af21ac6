"""Records of the usage domain: ledger rows and cost summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class UsageRecord:
    """One row of the ledger: usage one agent reported, maybe against a task."""

    id: int
    team_id: int
    agent_id: int | None
    agent: str | None
    task_id: int | None
    source: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    model: str | None
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team_id,
            "agent": self.agent,
            "agent_id": self.agent_id,
            "task_id": self.task_id,
            "source": self.source,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": self.cost_usd,
            "model": self.model,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class UsageTotals:
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    reports: int = 0

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(
            self.tokens_in + other.tokens_in,
            self.tokens_out + other.tokens_out,
            self.cost_usd + other.cost_usd,
            self.reports + other.reports,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": round(self.cost_usd, 6),
            "reports": self.reports,
        }


@dataclass(frozen=True)
class AgentTotals:
    agent_id: int | None
    agent: str | None
    totals: UsageTotals

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "agent_id": self.agent_id, **self.totals.to_json()}


@dataclass(frozen=True)
class CostSummary:
    """A team's spending over the last `days` UTC days (today included), and today's against its limit."""

    team_id: int
    days: int
    since: datetime
    totals: UsageTotals
    by_day: tuple[tuple[date, UsageTotals], ...]
    by_agent: tuple[AgentTotals, ...]
    by_model: tuple[tuple[str | None, UsageTotals], ...]
    today_cost_usd: float
    daily_cost_limit_usd: float | None

    @property
    def remaining_today_usd(self) -> float | None:
        if self.daily_cost_limit_usd is None:
            return None
        return max(0.0, round(self.daily_cost_limit_usd - self.today_cost_usd, 6))

    def to_json(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "days": self.days,
            "since": self.since.isoformat(),
            "totals": self.totals.to_json(),
            "by_day": [{"date": d.isoformat(), **t.to_json()} for d, t in self.by_day],
            "by_agent": [a.to_json() for a in self.by_agent],
            "by_model": [{"model": m, **t.to_json()} for m, t in self.by_model],
            "today": {
                "cost_usd": round(self.today_cost_usd, 6),
                "daily_cost_limit_usd": self.daily_cost_limit_usd,
                "remaining_usd": self.remaining_today_usd,
            },
        }
