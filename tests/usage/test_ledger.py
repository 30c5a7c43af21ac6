"""The cost ledger: what reports and completions write, and the totals per agent, task, team and day."""

import pytest

from switchboard.errors import Forbidden, InvalidInput, NotFound
from switchboard.tasks.models import TaskDraft, Usage
from tests.conftest import FakeClock, World

DAY = 86400


async def test_report_usage_writes_a_ledger_row_and_adds_to_the_task(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    record = await hub.usage.report_usage(builder.principal, Usage(100, 20, 0.5, "opus"), task.id)
    await hub.usage.report_usage(builder.principal, Usage(10, 2, 0.25), task.id)
    assert (record.agent, record.task_id, record.source) == ("builder", task.id, "report")
    fetched = (await hub.tasks.get_task(builder.principal, task.id)).task
    assert fetched.usage == Usage(110, 22, 0.75, "opus")
    rows, cursor = await hub.usage.list_usage(builder.principal, task_id=task.id)
    assert [(r.tokens_in, r.cost_usd) for r in rows] == [(10, 0.25), (100, 0.5)]
    assert cursor is None


async def test_completing_with_usage_writes_a_ledger_row_and_without_it_writes_none(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    first = await hub.tasks.create_task(world.admin, TaskDraft(title="with usage"), world.team.id)
    second = await hub.tasks.create_task(world.admin, TaskDraft(title="without"), world.team.id)
    for task in (first, second):
        await hub.claims.claim_task(builder.principal, task.id)
    await hub.claims.complete_task(builder.principal, first.id, usage=Usage(5, 6, 1.5, "sonnet"))
    await hub.claims.complete_task(builder.principal, second.id)
    rows, _ = await hub.usage.list_usage(builder.principal)
    assert [(r.task_id, r.source, r.tokens_in, r.tokens_out, r.cost_usd, r.model) for r in rows] == [
        (first.id, "complete_task", 5, 6, 1.5, "sonnet")
    ]
    events = await hub.tasks.get_task_events(builder.principal, first.id)
    assert "usage_reported" in [e.kind for e in events]


async def test_the_summary_totals_usage_per_agent_model_and_day(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder, reviewer = await world.agent("builder"), await world.agent("reviewer", role="reviewer")
    await hub.usage.report_usage(builder.principal, Usage(100, 10, 1.0, "opus"))
    clock.advance(2 * DAY)
    await hub.usage.report_usage(builder.principal, Usage(50, 5, 0.5, "sonnet"))
    await hub.usage.report_usage(reviewer.principal, Usage(20, 2, 2.0, "opus"))
    await hub.teams.update_settings(world.admin, world.team.id, {"daily_cost_limit_usd": 10.0})

    summary = (await hub.usage.get_cost_summary(builder.principal, days=3)).to_json()

    assert summary["totals"] == {"tokens_in": 170, "tokens_out": 17, "cost_usd": 3.5, "reports": 3}
    assert [(d["cost_usd"], d["reports"]) for d in summary["by_day"]] == [(1.0, 1), (0.0, 0), (2.5, 2)]
    assert summary["by_day"][-1]["date"] == clock.now.date().isoformat()
    assert [(a["agent"], a["cost_usd"]) for a in summary["by_agent"]] == [("reviewer", 2.0), ("builder", 1.5)]
    assert [(m["model"], m["cost_usd"]) for m in summary["by_model"]] == [("opus", 3.0), ("sonnet", 0.5)]
    assert summary["today"] == {"cost_usd": 2.5, "daily_cost_limit_usd": 10.0, "remaining_usd": 7.5}
    shorter = await hub.usage.get_cost_summary(builder.principal, days=1)
    assert (shorter.totals.cost_usd, len(shorter.by_day)) == (2.5, 1)


async def test_ledger_totals_split_by_agent_task_and_team(world: World) -> None:
    hub = world.hub
    builder, helper = await world.agent("builder"), await world.agent("helper")
    other = await world.other_team()
    outsider = await other.agent("outsider")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.usage.report_usage(builder.principal, Usage(1, 1, 1.0), task.id)
    await hub.usage.report_usage(helper.principal, Usage(1, 1, 2.0), task.id)
    await hub.usage.report_usage(helper.principal, Usage(1, 1, 4.0))
    await hub.usage.report_usage(outsider.principal, Usage(1, 1, 8.0))

    mine, _ = await hub.usage.list_usage(builder.principal, agent="helper")
    assert sum(r.cost_usd for r in mine) == 6.0
    assert (await hub.tasks.get_task(builder.principal, task.id)).task.usage.cost_usd == 3.0
    assert (await hub.usage.get_cost_summary(builder.principal)).totals.cost_usd == 7.0
    assert (await hub.usage.get_cost_summary(world.admin, team_id=other.team.id)).totals.cost_usd == 8.0


async def test_bad_usage_reports_are_refused_and_change_nothing(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    other = await world.other_team()
    foreign = await hub.tasks.create_task(world.admin, TaskDraft(title="theirs"), other.team.id)
    with pytest.raises(InvalidInput, match="negative"):
        await hub.usage.report_usage(builder.principal, Usage(-1, 0, 0.0))
    with pytest.raises(NotFound):
        await hub.usage.report_usage(builder.principal, Usage(1, 1, 1.0), foreign.id)
    with pytest.raises(Forbidden, match="agents report their own usage"):
        await hub.usage.report_usage(world.admin, Usage(1, 1, 1.0))
    with pytest.raises(NotFound):
        await hub.usage.get_cost_summary(builder.principal, team_id=other.team.id)
    with pytest.raises(InvalidInput, match="days"):
        await hub.usage.get_cost_summary(builder.principal, days=0)
    rows, _ = await hub.usage.list_usage(world.admin, team_id=world.team.id)
    assert rows == []
    assert (await hub.tasks.get_task(world.admin, foreign.id)).task.usage.cost_usd == 0.0


async def test_the_ledger_pages_newest_first(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    for i in range(5):
        await hub.usage.report_usage(builder.principal, Usage(i, 0, 0.0))
    page, cursor = await hub.usage.list_usage(builder.principal, limit=3)
    assert [r.tokens_in for r in page] == [4, 3, 2]
    rest, end = await hub.usage.list_usage(builder.principal, limit=3, before_id=cursor)
    assert ([r.tokens_in for r in rest], end) == ([1, 0], None)
