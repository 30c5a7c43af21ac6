"""An agent's status from its claims and signs of life: idle, busy, offline."""

from datetime import timedelta

import pytest

from switchboard.errors import Forbidden
from switchboard.presence.models import AgentPresence
from switchboard.tasks.models import TaskDraft
from switchboard.teams.models import AgentStatus
from tests.conftest import FakeClock, World


async def status_of(world: World, name: str) -> AgentStatus:
    views = await world.hub.teams.list_agents(world.admin, world.team.id)
    return next(v.status for v in views if v.agent.name == name)


async def test_status_goes_idle_then_busy_then_offline_as_time_passes(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    await hub.teams.update_settings(world.admin, world.team.id, {"offline_after_seconds": 300})
    assert await status_of(world, "builder") == AgentStatus.IDLE
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    assert await status_of(world, "builder") == AgentStatus.BUSY
    clock.advance(299)
    assert await status_of(world, "builder") == AgentStatus.BUSY
    clock.advance(2)
    assert await status_of(world, "builder") == AgentStatus.OFFLINE


async def test_a_heartbeat_without_a_task_marks_the_agent_alive(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    clock.advance(601)
    assert await status_of(world, "builder") == AgentStatus.OFFLINE
    presence = await hub.claims.heartbeat(builder.principal)
    assert isinstance(presence, AgentPresence)
    assert presence.to_json() == {
        "agent": "builder",
        "agent_id": builder.id,
        "status": "idle",
        "active_task_count": 0,
        "last_seen_at": clock.now.isoformat(),
    }
    assert await status_of(world, "builder") == AgentStatus.IDLE


async def test_a_heartbeat_on_a_task_renews_the_lease_and_marks_the_agent_alive(world: World, clock: FakeClock) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t", lease_seconds=900), world.team.id)
    await hub.claims.claim_task(builder.principal, task.id)
    clock.advance(601)
    assert await status_of(world, "builder") == AgentStatus.OFFLINE
    beat = await hub.claims.heartbeat(builder.principal, task.id)
    assert beat.to_json()["lease_expires_at"] == (clock.now + timedelta(seconds=900)).isoformat()
    assert await status_of(world, "builder") == AgentStatus.BUSY
    held = await hub.claims.heartbeat(builder.principal)
    assert isinstance(held, AgentPresence) and (held.status, held.active_task_count) == (AgentStatus.BUSY, 1)


async def test_an_admin_key_has_no_presence_to_keep_alive(world: World) -> None:
    with pytest.raises(Forbidden, match="heartbeat"):
        await world.hub.claims.heartbeat(world.admin)
