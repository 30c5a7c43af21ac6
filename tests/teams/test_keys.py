import stat
from datetime import timedelta

import pytest

from switchboard.errors import Forbidden, NotFound, Unauthorized
from switchboard.storage import schema as s
from tests.conftest import FakeClock, World


async def test_the_first_start_writes_an_admin_key_only_its_owner_can_read(world: World) -> None:
    path = world.hub.settings.admin_key_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    principal = await world.hub.keys.authenticate(path.read_text().strip())
    assert principal.is_admin


async def test_create_key_for_a_new_program_id_creates_the_agent(world: World) -> None:
    hub = world.hub
    issued = await hub.keys.create_key(world.admin, world.team.id, "builder", "Builder Agent — Claude Code")
    assert issued.plaintext.startswith("sb_")
    assert issued.agent is not None and (issued.agent.name, issued.agent.role) == ("builder", "engineer")
    principal = await hub.keys.authenticate(issued.plaintext)
    assert principal.agent is not None and principal.agent.name == "builder"


async def test_keys_are_stored_only_as_hashes(world: World) -> None:
    hub = world.hub
    issued = await hub.keys.create_key(world.admin, world.team.id, "builder")
    async with hub.db.read() as conn:
        stored = (await conn.execute(s.api_keys.select().where(s.api_keys.c.id == issued.key.id))).one()
    assert issued.plaintext not in {str(v) for v in stored}
    assert stored.key_hash != issued.plaintext


async def test_a_revoked_key_no_longer_authenticates(world: World) -> None:
    hub = world.hub
    issued = await hub.keys.create_key(world.admin, world.team.id, "builder")
    await hub.keys.revoke(world.admin, issued.key.id)
    with pytest.raises(Unauthorized, match="revoked"):
        await hub.keys.authenticate(issued.plaintext)


async def test_an_expired_key_no_longer_authenticates(world: World, clock: FakeClock) -> None:
    hub = world.hub
    issued = await hub.keys.create_key(world.admin, world.team.id, "builder", expires_at=clock() + timedelta(hours=1))
    await hub.keys.authenticate(issued.plaintext)
    clock.advance(3601)
    with pytest.raises(Unauthorized, match="expired"):
        await hub.keys.authenticate(issued.plaintext)


async def test_unknown_and_missing_keys_are_refused(world: World) -> None:
    with pytest.raises(Unauthorized):
        await world.hub.keys.authenticate("sb_not-a-real-key")
    with pytest.raises(Unauthorized):
        await world.hub.keys.authenticate(None)


async def test_using_a_key_records_when_it_was_last_used(world: World) -> None:
    hub = world.hub
    issued = await hub.keys.create_key(world.admin, world.team.id, "builder")
    await hub.keys.authenticate(issued.plaintext)
    [listed] = [k for k in await hub.keys.list_keys(world.admin, world.team.id) if k.id == issued.key.id]
    assert listed.last_used_at is not None


async def test_an_engineer_cannot_create_keys_but_sees_and_revokes_its_own(world: World) -> None:
    hub = world.hub
    builder = await world.agent("builder")
    other = await world.agent("other")
    with pytest.raises(Forbidden):
        await hub.keys.create_key(builder.principal, world.team.id, "sneaky")
    mine = await hub.keys.list_keys(builder.principal)
    assert {k.agent_id for k in mine} == {builder.id}
    with pytest.raises(Forbidden):
        await hub.keys.revoke(builder.principal, (await hub.keys.list_keys(other.principal))[0].id)
    await hub.keys.revoke(builder.principal, mine[0].id)


async def test_keys_of_another_team_are_not_found(world: World) -> None:
    other = await world.other_team()
    outsider = await other.agent("outsider")
    victim = await world.hub.keys.create_key(world.admin, world.team.id, "builder")
    with pytest.raises(NotFound):
        await world.hub.keys.revoke(outsider.principal, victim.key.id)


async def test_a_key_answers_for_its_agent_with_every_group_it_is_in(world: World) -> None:
    hub = world.hub
    await hub.teams.create_group(world.admin, world.team.id, "reviewers")
    builder = await world.agent("builder", groups=["builders", "council", "reviewers"])
    loner = await world.agent("loner", groups=[])
    assert builder.principal.agent is not None and builder.principal.agent.groups == (
        "builders",
        "council",
        "reviewers",
    )
    assert loner.principal.agent is not None and loner.principal.agent.groups == ()
    await hub.teams.remove_group_members(world.admin, world.team.id, "council", ["builder"])
    again = await hub.keys.authenticate(builder.key)
    assert again.agent is not None and again.agent.groups == ("builders", "reviewers")
    assert (again.key_id, again.org_id, again.agent.id) == (builder.principal.key_id, world.admin.org_id, builder.id)
