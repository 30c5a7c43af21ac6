"""Groups: managers and admins change membership; an agent never puts itself into one; `all` is virtual."""

import pytest

from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.messages.models import InboxQuery, MessageDraft
from tests.conftest import World


async def members(world: World) -> dict[str, tuple[str, ...]]:
    return {g.name: g.members for g in await world.hub.teams.list_groups(world.admin, world.team.id)}


async def test_a_manager_creates_a_group_with_members_and_messages_reach_them(world: World) -> None:
    manager = await world.manager()
    backend = await world.agent("eng-backend")
    await world.agent("eng-frontend")
    group = await world.hub.teams.create_group(
        manager.principal, world.team.id, "api-team", "Owns the API", ["eng-backend", str(manager.id)]
    )
    assert (group.name, group.description, group.members) == ("api-team", "Owns the API", ("eng-backend", "manager"))
    assert (await members(world))["api-team"] == ("eng-backend", "manager")
    sent = await world.hub.messages.send_message(manager.principal, MessageDraft(target="api-team", message="sync"))
    assert sent.recipients == 1
    inbox = await world.hub.messages.get_messages(backend.principal, InboxQuery())
    assert [m.body for m in inbox.messages] == ["sync"]


async def test_an_agent_cannot_put_itself_into_a_group_and_is_told_why(world: World) -> None:
    builder = await world.agent("builder")
    for members_given in (["builder"], [str(builder.id)]):
        with pytest.raises(Forbidden, match=r"cannot put yourself into group 'council'.*only a manager or an admin"):
            await world.hub.teams.add_group_members(builder.principal, world.team.id, "council", members_given)
    with pytest.raises(Forbidden, match="cannot put yourself"):
        await world.hub.teams.create_group(builder.principal, world.team.id, "my-club", members=["builder"])
    assert "builder" not in (await members(world))["council"]


async def test_an_agent_that_is_not_a_manager_changes_no_membership(world: World) -> None:
    builder = await world.agent("builder")
    await world.agent("helper")
    with pytest.raises(Forbidden, match="only a manager or an admin"):
        await world.hub.teams.add_group_members(builder.principal, world.team.id, "builders", ["helper"])
    with pytest.raises(Forbidden, match="only a manager or an admin"):
        await world.hub.teams.remove_group_members(builder.principal, world.team.id, "builders", ["helper"])
    with pytest.raises(Forbidden, match="only a manager or an admin"):
        await world.hub.teams.create_group(builder.principal, world.team.id, "club")
    assert (await members(world))["builders"] == ("builder", "helper")
    assert "club" not in await members(world)


async def test_members_are_added_once_and_removed_by_name_or_id(world: World) -> None:
    manager = await world.manager()
    scout = await world.agent("scout", role="researcher")
    await world.agent("builder")
    added = await world.hub.teams.add_group_members(
        manager.principal, world.team.id, "intelligence", ["builder", "scout"]
    )
    again = await world.hub.teams.add_group_members(world.admin, world.team.id, "intelligence", ["builder"])
    assert added.members == again.members == ("builder", "scout")
    removed = await world.hub.teams.remove_group_members(manager.principal, world.team.id, "intelligence", [scout.id])
    assert removed.members == ("builder",)
    unchanged = await world.hub.teams.remove_group_members(manager.principal, world.team.id, "intelligence", ["scout"])
    assert unchanged.members == ("builder",)


async def test_all_is_virtual_and_group_names_are_checked(world: World) -> None:
    manager = await world.manager()
    await world.agent("builder")
    teams = world.hub.teams
    with pytest.raises(InvalidInput, match="'all'"):
        await teams.add_group_members(manager.principal, world.team.id, "all", ["builder"])
    with pytest.raises(InvalidInput, match="invalid group name"):
        await teams.create_group(manager.principal, world.team.id, "all")
    for bad in ("", "9ers", "has space", "@role"):
        with pytest.raises(InvalidInput, match="invalid group name"):
            await teams.create_group(manager.principal, world.team.id, bad)
    with pytest.raises(Conflict, match="already exists"):
        await teams.create_group(manager.principal, world.team.id, "builders")
    with pytest.raises(Conflict, match="is an agent"):
        await teams.create_group(manager.principal, world.team.id, "builder")
    with pytest.raises(NotFound, match="group 'ghosts'"):
        await teams.add_group_members(manager.principal, world.team.id, "ghosts", ["builder"])
    with pytest.raises(InvalidInput, match="unknown agents: nobody"):
        await teams.create_group(manager.principal, world.team.id, "fresh", members=["builder", "nobody"])
    with pytest.raises(InvalidInput, match="at least one"):
        await teams.add_group_members(manager.principal, world.team.id, "builders", [])
    assert "fresh" not in await members(world)


async def test_another_teams_groups_and_agents_are_out_of_reach(world: World) -> None:
    other = await world.other_team()
    stranger = await other.agent("stranger")
    manager = await world.manager()
    with pytest.raises(NotFound):
        await world.hub.teams.create_group(manager.principal, other.team.id, "intruders")
    with pytest.raises(NotFound):
        await world.hub.teams.add_group_members(manager.principal, other.team.id, "builders", ["stranger"])
    with pytest.raises(InvalidInput, match="unknown agents: stranger"):
        await world.hub.teams.add_group_members(manager.principal, world.team.id, "builders", ["stranger"])
    with pytest.raises(InvalidInput, match="unknown agents"):
        await world.hub.teams.add_group_members(manager.principal, world.team.id, "builders", [stranger.id])
