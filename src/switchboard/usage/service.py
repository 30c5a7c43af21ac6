"""Reporting usage and summing it per agent, task, team and day."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from switchboard.clock import Clock
from switchboard.errors import Forbidden, InvalidInput, NotFound
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks import records
from switchboard.tasks.models import Usage
from switchboard.teams.models import Principal
from switchboard.teams.service import TeamService
from switchboard.usage.budget import spent_today, start_of_day
from switchboard.usage.ledger import Source, check_usage, record_usage, usage_event
from switchboard.usage.models import AgentTotals, CostSummary, UsageRecord, UsageTotals

U = s.usage_records
T = s.tasks
SUMMARY_MAX_DAYS = 366
LEDGER_PAGE_MAX = 500


class UsageService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    async def report_usage(self, principal: Principal, usage: Usage, task_id: int | None = None) -> UsageRecord:
        """Add the caller's usage to the ledger; against a task, to the task's usage too."""
        agent = principal.agent
        if agent is None:
            raise Forbidden("an admin key is not an agent: agents report their own usage")
        check_usage(usage)
        now = self.clock()
        async with self.db.write() as conn:
            if task_id is not None:
                await records.load_visible_row(conn, task_id, principal)
                await conn.execute(
                    T.update()
                    .where(T.c.id == task_id)
                    .values(
                        tokens_in=T.c.tokens_in + usage.tokens_in,
                        tokens_out=T.c.tokens_out + usage.tokens_out,
                        cost_usd=T.c.cost_usd + usage.cost_usd,
                        model=sa.func.coalesce(usage.model, T.c.model),
                        updated_at=now,
                    )
                )
            record_id = await record_usage(conn, agent.team_id, agent.id, task_id, Source.REPORT, usage, now)
            event = (task_id, "usage_reported", usage_event(usage, Source.REPORT))
            await records.append_events(conn, agent.team_id, agent.name, now, [event])
        return UsageRecord(
            record_id,
            agent.team_id,
            agent.id,
            agent.name,
            task_id,
            Source.REPORT,
            usage.tokens_in,
            usage.tokens_out,
            usage.cost_usd,
            usage.model,
            now,
        )

    async def get_cost_summary(self, principal: Principal, days: int = 7, team_id: int | None = None) -> CostSummary:
        """The team's usage over the last `days` UTC days, today included: totals, per day (zero days too,
        oldest first), per agent and per model, and today's spend against the daily limit."""
        if not isinstance(days, int) or not 1 <= days <= SUMMARY_MAX_DAYS:
            raise InvalidInput(f"days must be from 1 to {SUMMARY_MAX_DAYS}", days=days)
        team = await self.teams.default_team(principal, team_id)
        now = self.clock()
        first_day = start_of_day(now) - timedelta(days=days - 1)
        starts = [first_day + timedelta(days=i) for i in range(days)]
        # Days are bucketed by comparison with their UTC starts, which reads the same on both backends.
        day = sa.case(*((U.c.at >= starts[i], i) for i in reversed(range(days))), else_=0)
        bucketed = (
            sa.select(day.label("day"), U.c.agent_id, U.c.model, U.c.tokens_in, U.c.tokens_out, U.c.cost_usd)
            .where(U.c.team_id == team.id, U.c.at >= first_day)
            .subquery()
        )
        b = bucketed.c
        query = (
            sa.select(
                b.day,
                b.agent_id,
                s.agents.c.name,
                b.model,
                sa.func.sum(b.tokens_in),
                sa.func.sum(b.tokens_out),
                sa.func.sum(b.cost_usd),
                sa.func.count(),
            )
            .select_from(bucketed.outerjoin(s.agents, s.agents.c.id == b.agent_id))
            .group_by(b.day, b.agent_id, s.agents.c.name, b.model)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
            today = await spent_today(conn, team.id, now)
        by_day = [UsageTotals() for _ in range(days)]
        by_agent: dict[tuple[int | None, str | None], UsageTotals] = defaultdict(UsageTotals)
        by_model: dict[str | None, UsageTotals] = defaultdict(UsageTotals)
        for index, agent_id, agent_name, model, tokens_in, tokens_out, cost, count in rows:
            totals = UsageTotals(int(tokens_in or 0), int(tokens_out or 0), float(cost or 0.0), int(count))
            by_day[index] += totals
            by_agent[(agent_id, agent_name)] += totals
            by_model[model] += totals
        return CostSummary(
            team_id=team.id,
            days=days,
            since=first_day,
            totals=sum(by_day, UsageTotals()),
            by_day=tuple((start.date(), totals) for start, totals in zip(starts, by_day, strict=True)),
            by_agent=tuple(
                AgentTotals(agent_id, name, totals)
                for (agent_id, name), totals in sorted(by_agent.items(), key=_costliest_agent)
            ),
            by_model=tuple(sorted(by_model.items(), key=lambda item: (-item[1].cost_usd, item[0] or ""))),
            today_cost_usd=today,
            daily_cost_limit_usd=team.settings.daily_cost_limit_usd,
        )

    async def list_usage(
        self,
        principal: Principal,
        team_id: int | None = None,
        agent: str | int | None = None,
        task_id: int | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> tuple[list[UsageRecord], int | None]:
        """The team's ledger rows, newest first, optionally of one agent or one task.

        Returns the rows and the cursor (`before_id`) of the next page, or None after the last.
        """
        if not 1 <= limit <= LEDGER_PAGE_MAX:
            raise InvalidInput(f"limit must be from 1 to {LEDGER_PAGE_MAX}", limit=limit)
        team = await self.teams.default_team(principal, team_id)
        where: list[sa.ColumnElement[bool]] = [U.c.team_id == team.id]
        async with self.db.read() as conn:
            if agent is not None:
                found = await self.teams.find_agent(conn, team.id, agent)
                if found is None:
                    raise NotFound(f"agent {agent} not found in team {team.id}", agent=str(agent))
                where.append(U.c.agent_id == found.id)
            if task_id is not None:
                where.append(U.c.task_id == task_id)
            if before_id is not None:
                where.append(U.c.id < before_id)
            rows = (
                await conn.execute(
                    sa.select(U, s.agents.c.name.label("agent_name"))
                    .select_from(U.outerjoin(s.agents, s.agents.c.id == U.c.agent_id))
                    .where(*where)
                    .order_by(U.c.id.desc())
                    .limit(limit + 1)
                )
            ).all()
        page = [_record(r) for r in rows[:limit]]
        return page, (page[-1].id if len(rows) > limit else None)


def _costliest_agent(item: tuple[tuple[int | None, str | None], UsageTotals]) -> tuple[float, str]:
    (_, name), totals = item
    return (-totals.cost_usd, name or "")


def _record(row: Any) -> UsageRecord:
    return UsageRecord(
        id=row.id,
        team_id=row.team_id,
        agent_id=row.agent_id,
        agent=row.agent_name,
        task_id=row.task_id,
        source=row.source,
        tokens_in=int(row.tokens_in),
        tokens_out=int(row.tokens_out),
        cost_usd=float(row.cost_usd),
        model=row.model,
        at=row.at,
    )
