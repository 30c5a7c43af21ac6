"""Signing people in to the dashboard: sessions opened by an admin key or a one-time link, and how they end."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from switchboard.dashboard.sessions import LINK_SECONDS, SESSION_SECONDS
from switchboard.errors import Forbidden, Unauthorized
from switchboard.storage import schema as s
from switchboard.teams.keys import hash_key
from tests.conftest import FakeClock, World


async def test_an_admin_key_opens_a_session_that_stands_for_it(world: World) -> None:
    opened = await world.hub.web_sessions.sign_in(world.admin_key)

    principal = await world.hub.web_sessions.authenticate(opened.token)

    assert principal.key_id == world.admin.key_id
    assert principal.is_admin


async def test_only_the_session_tokens_hash_is_stored(world: World) -> None:
    opened = await world.hub.web_sessions.sign_in(world.admin_key)

    async with world.hub.db.read() as conn:
        stored = (await conn.execute(sa.select(s.web_sessions.c.token_hash))).scalars().all()
    assert hash_key(opened.token) in stored
    assert opened.token not in stored


async def test_an_agent_key_cannot_open_a_session(world: World) -> None:
    builder = await world.agent("builder")

    with pytest.raises(Forbidden):
        await world.hub.web_sessions.sign_in(builder.key)


async def test_an_unknown_key_cannot_open_a_session(world: World) -> None:
    with pytest.raises(Unauthorized):
        await world.hub.web_sessions.sign_in("sb_not-a-key")


async def test_signing_out_ends_the_session(world: World) -> None:
    opened = await world.hub.web_sessions.sign_in(world.admin_key)

    await world.hub.web_sessions.sign_out(opened.token)

    with pytest.raises(Unauthorized):
        await world.hub.web_sessions.authenticate(opened.token)


async def test_a_session_expires(world: World, clock: FakeClock) -> None:
    opened = await world.hub.web_sessions.sign_in(world.admin_key)

    clock.advance(SESSION_SECONDS + 1)

    with pytest.raises(Unauthorized):
        await world.hub.web_sessions.authenticate(opened.token)


async def test_revoking_the_key_ends_its_sessions(world: World) -> None:
    issued = await world.hub.keys.create_admin_key(world.admin, "a person")
    opened = await world.hub.web_sessions.sign_in(issued.plaintext)

    await world.hub.keys.revoke(world.admin, issued.key.id)

    with pytest.raises(Unauthorized):
        await world.hub.web_sessions.authenticate(opened.token)
    async with world.hub.db.read() as conn:
        ended = await conn.scalar(
            sa.select(s.web_sessions.c.ended_at).where(s.web_sessions.c.token_hash == hash_key(opened.token))
        )
    assert ended is not None


async def test_a_login_link_signs_in_once(world: World) -> None:
    link = await world.hub.web_sessions.create_login_link(world.admin)

    opened = await world.hub.web_sessions.redeem_login_link(link.token)

    assert (await world.hub.web_sessions.authenticate(opened.token)).key_id == world.admin.key_id
    with pytest.raises(Unauthorized):
        await world.hub.web_sessions.redeem_login_link(link.token)


async def test_a_login_link_expires_after_ten_minutes(world: World, clock: FakeClock) -> None:
    link = await world.hub.web_sessions.create_login_link(world.admin)

    clock.advance(LINK_SECONDS + 1)

    with pytest.raises(Unauthorized):
        await world.hub.web_sessions.redeem_login_link(link.token)


async def test_a_login_link_of_a_revoked_key_opens_nothing(world: World) -> None:
    issued = await world.hub.keys.create_admin_key(world.admin, "a person")
    person = await world.hub.keys.authenticate(issued.plaintext)
    link = await world.hub.web_sessions.create_login_link(person)
    await world.hub.keys.revoke(world.admin, issued.key.id)

    with pytest.raises(Unauthorized):
        await world.hub.web_sessions.redeem_login_link(link.token)


async def test_agents_cannot_ask_for_login_links(world: World) -> None:
    builder = await world.agent("builder")

    with pytest.raises(Forbidden):
        await world.hub.web_sessions.create_login_link(builder.principal)
