"""Alerts for the people watching: raised by agents, listed and acknowledged by people and managers."""

from __future__ import annotations

import pytest

from switchboard.errors import Forbidden, InvalidInput, NotFound, TooLarge
from switchboard.tasks.models import TaskDraft
from tests.conftest import World
from tests.questions.inbox import event_kinds


async def test_an_alert_is_recorded_and_listed_for_people_and_managers(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    manager = await world.manager()
    task = await hub.tasks.create_task(builder.principal, TaskDraft(title="Deploy"))
    alert = await hub.questions.alerts.send_alert(builder.principal, "main is red", "critical", task.id)
    assert (alert.priority.value, alert.raised_by, alert.agent_id, alert.task_id) == (
        "critical",
        "builder",
        builder.id,
        task.id,
    )
    later = await hub.questions.alerts.send_alert(builder.principal, "budget at 90%")
    assert later.priority.value == "normal"

    for watcher in (world.admin, manager.principal):
        listed = await hub.questions.alerts.list_alerts(watcher, world.team.id)
        assert [a.id for a in listed] == [later.id, alert.id]
    assert (await event_kinds(hub, world.team.id)).count("alert") == 2


async def test_an_engineer_cannot_read_alerts(world: World) -> None:
    builder = await world.agent("builder")
    await world.hub.questions.alerts.send_alert(builder.principal, "main is red")
    with pytest.raises(Forbidden):
        await world.hub.questions.alerts.list_alerts(builder.principal)


async def test_acknowledging_hides_an_alert_from_the_unacknowledged_list_once(world: World) -> None:
    builder = await world.agent("builder")
    first = await world.hub.questions.alerts.send_alert(builder.principal, "main is red")
    second = await world.hub.questions.alerts.send_alert(builder.principal, "disk almost full", "high")

    seen = await world.hub.questions.alerts.acknowledge_alert(world.admin, first.id)
    again = await world.hub.questions.alerts.acknowledge_alert(world.admin, first.id)
    assert (seen.acknowledged_by, seen.acknowledged_at) == (world.admin.actor, again.acknowledged_at)
    open_ones = await world.hub.questions.alerts.list_alerts(world.admin, world.team.id, unacknowledged_only=True)
    assert [a.id for a in open_ones] == [second.id]
    assert (await event_kinds(world.hub, world.team.id)).count("alert_acknowledged") == 1
    with pytest.raises(Forbidden):
        await world.hub.questions.alerts.acknowledge_alert(builder.principal, second.id)


async def test_another_teams_alert_is_not_found(world: World) -> None:
    builder = await world.agent("builder")
    outsider = await (await world.other_team()).agent("outsider", role="manager")
    alert = await world.hub.questions.alerts.send_alert(builder.principal, "main is red")
    with pytest.raises(NotFound):
        await world.hub.questions.alerts.acknowledge_alert(outsider.principal, alert.id)
    assert await world.hub.questions.alerts.list_alerts(outsider.principal) == []


@pytest.mark.parametrize(
    ("message", "priority", "problem"),
    [("", None, InvalidInput), ("x" * (64 * 1024 + 1), None, TooLarge), ("fine", "urgent-ish", InvalidInput)],
)
async def test_a_bad_alert_is_refused_and_nothing_is_recorded(
    world: World, message: str, priority: str | None, problem: type[Exception]
) -> None:
    builder = await world.agent("builder")
    with pytest.raises(problem):
        await world.hub.questions.alerts.send_alert(builder.principal, message, priority)
    with pytest.raises(InvalidInput):
        await world.hub.questions.alerts.send_alert(builder.principal, "about a task", task_id=987654)
    assert await world.hub.questions.alerts.list_alerts(world.admin, world.team.id) == []
