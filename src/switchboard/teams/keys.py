"""API keys: issued once in plaintext, stored as a hash, revocable, optionally expiring."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.teams.access import require_admin, require_manager
from switchboard.teams.models import ApiKey, IssuedKey, Org, Principal
from switchboard.teams.service import TeamService, agent_from_row, load_agent

KEY_PREFIX = "sb_"
# Writing last-used on every request would turn each read into a write; once a minute is precise enough.
LAST_USED_RESOLUTION_SECONDS = 60


def hash_key(plaintext: str) -> str:
    # Keys carry 256 random bits, so a fast hash is safe: there is nothing to brute-force.
    return hashlib.sha256(plaintext.encode()).hexdigest()


class KeyService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
        self._last_marked: dict[int, datetime] = {}

    async def issue(
        self, conn: AsyncConnection, org_id: int, agent_id: int | None, label: str, expires_at: datetime | None = None
    ) -> IssuedKey:
        if len(label) > 200:
            raise InvalidInput("label is longer than 200 characters", field="label")
        if expires_at is not None and expires_at <= self.clock():
            raise InvalidInput("expires_at is in the past", field="expires_at")
        plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
        row = (
            await conn.execute(
                s.api_keys.insert()
                .values(
                    org_id=org_id,
                    agent_id=agent_id,
                    label=label,
                    prefix=plaintext[: len(KEY_PREFIX) + 6],
                    key_hash=hash_key(plaintext),
                    created_at=self.clock(),
                    expires_at=expires_at,
                )
                .returning(s.api_keys)
            )
        ).one()
        agent = await load_agent(conn, agent_id) if agent_id is not None else None
        return IssuedKey(_key(row), plaintext, agent)

    async def create_key(
        self,
        principal: Principal,
        team_id: int,
        program_id: str,
        label: str | None = None,
        role: str | None = None,
        expires_at: datetime | None = None,
    ) -> IssuedKey:
        """A key for agent `program_id` (name or id); an unknown name becomes a new agent of `role`."""
        require_manager(principal, team_id, "create keys")
        async with self.db.write() as conn:
            team = await self.teams.get_team(principal, team_id, conn)
            agent = await self.teams.find_agent(conn, team.id, program_id)
            if agent is None:
                if str(program_id).isdigit():
                    raise NotFound(f"agent {program_id} not found")
                agent = await self.teams.insert_agent(conn, team.id, str(program_id), role or "engineer")
            elif role is not None and role != agent.role:
                raise InvalidInput(f"agent {agent.name!r} exists with role {agent.role!r}, not {role!r}", role=role)
            return await self.issue(conn, team.org_id, agent.id, label or f"{agent.name} key", expires_at)

    async def create_admin_key(
        self, principal: Principal, label: str, expires_at: datetime | None = None, org_id: int | None = None
    ) -> IssuedKey:
        """An admin key for the caller's org; naming another org (`org_id`) finds nothing."""
        if not principal.is_admin:
            raise Forbidden("only an admin key may create admin keys")
        if org_id is not None and org_id != principal.org_id:
            raise NotFound(f"org {org_id} not found")
        async with self.db.write() as conn:
            return await self.issue(conn, principal.org_id, None, label, expires_at)

    async def create_org(self, principal: Principal, name: str, slug: str | None = None) -> tuple[Org, IssuedKey]:
        """A new org and the first admin key for it, in one transaction: an org nobody can reach is never left."""
        require_admin(principal, "create orgs")
        async with self.db.write() as conn:
            org = await self.teams.create_org(conn, name, slug)
            return org, await self.issue(conn, org.id, None, f"{org.slug} admin")

    async def list_keys(self, principal: Principal, team_id: int | None = None) -> list[ApiKey]:
        """Keys never come back in plaintext. Agents see their own; managers their team's; admins their org's."""
        query = sa.select(s.api_keys).where(s.api_keys.c.org_id == principal.org_id).order_by(s.api_keys.c.id)
        agent = principal.agent
        if agent is not None and not agent.is_manager:
            query = query.where(s.api_keys.c.agent_id == agent.id)
        elif agent is not None or team_id is not None:
            team = agent.team_id if agent is not None else team_id
            in_team = sa.select(s.agents.c.id).where(s.agents.c.team_id == team)
            query = query.where(s.api_keys.c.agent_id.in_(in_team))
        async with self.db.read() as conn:
            if team_id is not None:
                await self.teams.get_team(principal, team_id, conn)
            return [_key(r) for r in await conn.execute(query)]

    async def revoke(self, principal: Principal, key_id: int) -> ApiKey:
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    sa.select(s.api_keys, s.agents.c.team_id)
                    .outerjoin(s.agents, s.agents.c.id == s.api_keys.c.agent_id)
                    .where(s.api_keys.c.id == key_id, s.api_keys.c.org_id == principal.org_id)
                )
            ).first()
            agent = principal.agent
            if row is None or (agent is not None and row.team_id != agent.team_id):
                raise NotFound(f"key {key_id} not found")
            if agent is not None and row.agent_id != agent.id:
                require_manager(principal, row.team_id, "revoke other agents' keys")
            if row.revoked_at is None:
                await conn.execute(s.api_keys.update().where(s.api_keys.c.id == key_id).values(revoked_at=self.clock()))
            updated = (await conn.execute(sa.select(s.api_keys).where(s.api_keys.c.id == key_id))).one()
        return _key(updated)

    async def authenticate(self, plaintext: str | None) -> Principal:
        """The caller behind a key, or Unauthorized (missing, unknown, revoked or expired)."""
        if not plaintext:
            raise Unauthorized()
        return await self._principal(_CALLER_BY_HASH, {"key_hash": hash_key(plaintext)})

    async def principal_where(self, which: sa.ColumnElement[bool]) -> Principal:
        """The caller behind the key `which` selects (a signed-in browser session finds it by its own token), with
        the same checks as `authenticate`."""
        return await self._principal(_CALLER.where(which), {})

    async def _principal(self, query: sa.Select[Any], params: dict[str, Any]) -> Principal:
        now = self.clock()
        async with self.db.read() as conn:
            rows = (await conn.execute(query, params)).all()
        if not rows:
            raise Unauthorized("unknown API key")
        row = rows[0]
        if row.revoked_at is not None:
            raise Unauthorized("this API key was revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise Unauthorized("this API key has expired")
        agent = None
        if row.agent_id is not None:
            agent = agent_from_row(row, tuple(sorted(r.group_name for r in rows if r.group_name is not None)))
        await self._mark_used(row.key_id, row.agent_id, now)
        return Principal(key_id=row.key_id, org_id=row.org_id, agent=agent)

    async def _mark_used(self, key_id: int, agent_id: int | None, now: datetime) -> None:
        last = self._last_marked.get(key_id)
        if last is not None and (now - last).total_seconds() < LAST_USED_RESOLUTION_SECONDS:
            return
        self._last_marked[key_id] = now
        async with self.db.write() as conn:
            await conn.execute(s.api_keys.update().where(s.api_keys.c.id == key_id).values(last_used_at=now))
            if agent_id is not None:
                await conn.execute(s.agents.update().where(s.agents.c.id == agent_id).values(last_seen_at=now))


# Every request starts here, so the key, its agent and the agent's groups come in one round trip (a row per
# group, or one row without a group), and the statement is built once.
_CALLER: sa.Select[Any] = sa.select(
    s.api_keys.c.id.label("key_id"),
    s.api_keys.c.org_id,
    s.api_keys.c.agent_id,
    s.api_keys.c.revoked_at,
    s.api_keys.c.expires_at,
    *s.agents.c,
    s.groups.c.name.label("group_name"),
).select_from(
    s.api_keys.outerjoin(s.agents, s.agents.c.id == s.api_keys.c.agent_id)
    .outerjoin(s.group_members, s.group_members.c.agent_id == s.agents.c.id)
    .outerjoin(s.groups, s.groups.c.id == s.group_members.c.group_id)
)
_CALLER_BY_HASH = _CALLER.where(s.api_keys.c.key_hash == sa.bindparam("key_hash"))


def _key(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        org_id=row.org_id,
        agent_id=row.agent_id,
        label=row.label,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
