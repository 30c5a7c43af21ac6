import pytest

from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.tasks.models import TaskDraft
from tests.conftest import World


async def test_a_new_team_starts_with_its_manager_and_the_standard_groups(world: World) -> None:
    agents = await world.hub.teams.list_agents(world.admin, world.team.id)
    assert [(v.agent.name, v.agent.role) for v in agents] == [("manager", "manager")]
    groups = {g.name: g.members for g in await world.hub.teams.list_groups(world.admin, world.team.id)}
    assert set(groups) == {"all", "council", "builders", "intelligence"}
    assert groups["all"] == ("manager",) and groups["council"] == ("manager",)


async def test_agents_join_groups_by_role_unless_told_otherwise(world: World) -> None:
    hub = world.hub
    await hub.teams.create_agent(world.admin, world.team.id, "eng-backend", "engineer")
    await hub.teams.create_agent(world.admin, world.team.id, "scout", "engineer", groups=["intelligence"])
    groups = {g.name: g.members for g in await hub.teams.list_groups(world.admin, world.team.id)}
    assert groups["builders"] == ("eng-backend",)
    assert groups["intelligence"] == ("scout",)
    assert set(groups["all"]) == {"manager", "eng-backend", "scout"}


async def test_agent_names_are_unique_within_a_team_only(world: World) -> None:
    hub = world.hub
    await hub.teams.create_agent(world.admin, world.team.id, "builder")
    with pytest.raises(Conflict, match="already exists"):
        await hub.teams.create_agent(world.admin, world.team.id, "builder")
    other = await world.other_team()
    assert (await hub.teams.create_agent(world.admin, other.team.id, "builder")).name == "builder"


async def test_bad_agent_names_and_unknown_groups_are_refused(world: World) -> None:
    hub = world.hub
    for name in ("", "9lives", "all", "has space", "x" * 65):
        with pytest.raises(InvalidInput):
            await hub.teams.create_agent(world.admin, world.team.id, name)
    with pytest.raises(InvalidInput, match="unknown groups: ghosts"):
        await hub.teams.create_agent(world.admin, world.team.id, "ok", groups=["ghosts"])


async def test_an_engineer_cannot_add_agents(world: World) -> None:
    engineer = await world.agent("builder")
    with pytest.raises(Forbidden, match="only a manager or an admin"):
        await world.hub.teams.create_agent(engineer.principal, world.team.id, "friend")


async def test_a_manager_adds_agents_to_its_own_team_only(world: World) -> None:
    manager = await world.manager()
    assert (await world.hub.teams.create_agent(manager.principal, world.team.id, "eng-1")).team_id == world.team.id
    other = await world.other_team()
    with pytest.raises((Forbidden, NotFound)):
        await world.hub.teams.create_agent(manager.principal, other.team.id, "intruder")


async def test_another_teams_objects_are_not_found(world: World) -> None:
    hub = world.hub
    other = await world.other_team()
    outsider = await other.agent("outsider")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="private"), world.team.id)
    with pytest.raises(NotFound):
        await hub.tasks.get_task(outsider.principal, task.id)
    with pytest.raises(NotFound):
        await hub.claims.claim_task(outsider.principal, task.id)
    with pytest.raises(NotFound):
        await hub.teams.get_team(outsider.principal, world.team.id)
    with pytest.raises(NotFound):
        await hub.teams.list_agents(outsider.principal, world.team.id)


async def test_agent_status_follows_claims(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)

    def status_of(views: list, name: str) -> tuple[str, int]:  # type: ignore[type-arg]
        view = next(v for v in views if v.agent.name == name)
        return view.status.value, view.active_task_count

    assert status_of(await hub.teams.list_agents(world.admin, world.team.id), "builder") == ("idle", 0)
    await hub.claims.claim_task(builder.principal, task.id)
    assert status_of(await hub.teams.list_agents(world.admin, world.team.id), "builder") == ("busy", 1)


async def test_team_settings_set_the_default_lease_and_attempts(world: World) -> None:
    hub = world.hub
    await hub.teams.update_settings(world.admin, world.team.id, {"lease_seconds": 120, "max_attempts": 5})
    task = await hub.tasks.create_task(world.admin, TaskDraft(title="t"), world.team.id)
    assert (task.lease_seconds, task.max_attempts) == (120, 5)
    with pytest.raises(InvalidInput, match="unknown team settings"):
        await hub.teams.update_settings(world.admin, world.team.id, {"lease": 1})
    with pytest.raises(InvalidInput, match="lease_seconds"):
        await hub.teams.update_settings(world.admin, world.team.id, {"lease_seconds": 1})
