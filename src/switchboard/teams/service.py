"""Orgs, teams, agents and groups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.dispatch.models import parse_runner
from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.limits import (
    ATTEMPTS_MAX,
    ID_MAX,
    LEASE_MAX_SECONDS,
    LEASE_MIN_SECONDS,
    PRESENCE_MAX_SECONDS,
    PRESENCE_MIN_SECONDS,
    check_chars,
)
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks.records import append_events
from switchboard.teams.access import ensure_team_visible, require_admin, require_manager
from switchboard.teams.models import Agent, AgentStatus, AgentView, Group, Org, Principal, Team, TeamSettings
from switchboard.teams.targets import ALL, NAME_PATTERN

DEFAULT_GROUPS = {
    "council": "High-level decision makers (architect, product, security)",
    "builders": "Code execution agents",
    "intelligence": "Research and analysis agents",
}
# Where an agent lands when its creator names no groups; `all` holds everyone without being stored.
GROUPS_BY_ROLE = {
    "manager": ("council",),
    "architect": ("council",),
    "engineer": ("builders",),
    "builder": ("builders",),
    "reviewer": ("council",),
    "researcher": ("intelligence",),
    "analyst": ("intelligence",),
}
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
CLAIMED = "claimed"
# The columns' widths: longer values would fail in PostgreSQL and be kept whole by SQLite.
ROLE_MAX_CHARS = 50
MODEL_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 2000
GROUP_DESCRIPTION_MAX_CHARS = 500


class TeamService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # -- orgs -------------------------------------------------------------------------------------------------

    async def create_org(self, conn: AsyncConnection, name: str, slug: str | None = None) -> Org:
        slug = _slug(slug or name)
        if await conn.scalar(sa.select(s.orgs.c.id).where(s.orgs.c.slug == slug)) is not None:
            raise Conflict(f"an org with slug {slug!r} already exists", slug=slug)
        row = (
            await conn.execute(
                s.orgs.insert()
                .values(name=_required(name, "name"), slug=slug, created_at=self.clock())
                .returning(s.orgs)
            )
        ).one()
        return _org(row)

    async def get_org(self, principal: Principal, org_id: int) -> Org:
        if org_id != principal.org_id:
            raise NotFound(f"org {org_id} not found")
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(s.orgs).where(s.orgs.c.id == org_id))).one()
        return _org(row)

    # -- teams ------------------------------------------------------------------------------------------------

    async def create_team(self, principal: Principal, org_id: int, name: str, slug: str | None = None) -> Team:
        """Create a team with its `manager` agent and the groups every team starts with."""
        team, _ = await self.create_team_with_manager(principal, org_id, name, slug)
        return team

    async def create_team_with_manager(
        self, principal: Principal, org_id: int, name: str, slug: str | None = None
    ) -> tuple[Team, Agent]:
        """As `create_team`, also answering with the `manager` agent it made, whose id callers need next."""
        require_admin(principal, "create teams")
        if org_id != principal.org_id:
            raise NotFound(f"org {org_id} not found")
        async with self.db.write() as conn:
            return await self._insert_team(conn, org_id, name, slug)

    async def create_team_in(self, conn: AsyncConnection, org_id: int, name: str, slug: str | None = None) -> Team:
        team, _ = await self._insert_team(conn, org_id, name, slug)
        return team

    async def _insert_team(self, conn: AsyncConnection, org_id: int, name: str, slug: str | None) -> tuple[Team, Agent]:
        slug = _slug(slug or name)
        taken = await conn.scalar(sa.select(s.teams.c.id).where(s.teams.c.org_id == org_id, s.teams.c.slug == slug))
        if taken is not None:
            raise Conflict(f"a team with slug {slug!r} already exists in this org", slug=slug)
        row = (
            await conn.execute(
                s.teams.insert()
                .values(org_id=org_id, name=_required(name, "name"), slug=slug, settings={}, created_at=self.clock())
                .returning(s.teams)
            )
        ).one()
        await conn.execute(
            s.groups.insert(),
            [{"team_id": row.id, "name": n, "description": d} for n, d in DEFAULT_GROUPS.items()],
        )
        manager = await self.insert_agent(
            conn, row.id, name="manager", role="manager", description="Decomposes work and delegates"
        )
        return _team(row), manager

    async def list_teams(self, principal: Principal, org_id: int) -> list[Team]:
        if org_id != principal.org_id:
            raise NotFound(f"org {org_id} not found")
        query = sa.select(s.teams).where(s.teams.c.org_id == org_id).order_by(s.teams.c.id)
        if principal.agent is not None:
            query = query.where(s.teams.c.id == principal.agent.team_id)
        async with self.db.read() as conn:
            return [_team(r) for r in await conn.execute(query)]

    async def get_team(self, principal: Principal, team_id: int, conn: AsyncConnection | None = None) -> Team:
        if conn is None:
            async with self.db.read() as own:
                return await self.get_team(principal, team_id, own)
        team = await load_team(conn, team_id)
        ensure_team_visible(principal, team)
        return team

    async def default_team(self, principal: Principal, team_id: int | None) -> Team:
        """The team a call acts on: the agent's own, or for an admin the one named (or the org's only team)."""
        if team_id is not None:
            return await self.get_team(principal, int(team_id))
        if principal.agent is not None:
            return await self.get_team(principal, principal.agent.team_id)
        teams = await self.list_teams(principal, principal.org_id)
        if len(teams) != 1:
            raise InvalidInput("this admin key's org has several teams: name one with team_id", team_id=None)
        return teams[0]

    async def update_settings(self, principal: Principal, team_id: int, changes: dict[str, Any]) -> Team:
        require_manager(principal, team_id, "change team settings")
        unknown = set(changes) - set(TeamSettings.__dataclass_fields__)
        if unknown:
            raise InvalidInput(f"unknown team settings: {', '.join(sorted(unknown))}", fields=sorted(unknown))
        async with self.db.write() as conn:
            team = await self.get_team(principal, team_id, conn)
            merged = {**_settings_json(team.settings), **changes}
            settings = _validated_settings(merged)
            await conn.execute(s.teams.update().where(s.teams.c.id == team_id).values(settings=merged))
        return Team(team.id, team.org_id, team.name, team.slug, settings, team.created_at)

    # -- agents -----------------------------------------------------------------------------------------------

    async def create_agent(
        self,
        principal: Principal,
        team_id: int,
        name: str,
        role: str = "engineer",
        model: str | None = None,
        description: str | None = None,
        groups: Sequence[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> Agent:
        require_manager(principal, team_id, "add agents")
        async with self.db.write() as conn:
            await self.get_team(principal, team_id, conn)
            return await self.insert_agent(conn, team_id, name, role, model, description, groups, config)

    async def update_agent(self, principal: Principal, agent_id: int, changes: dict[str, Any]) -> Agent:
        """Change an agent's model, description or runner (managers and admins). `runner: null` removes it."""
        unknown = set(changes) - {"model", "description", "runner"}
        if unknown:
            raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}: only model, description, runner")
        async with self.db.write() as conn:
            agent = await load_agent(conn, agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} not found")
            await self.get_team(principal, agent.team_id, conn)
            require_manager(principal, agent.team_id, "change agents")
            values: dict[str, Any] = {}
            if "model" in changes:
                check_chars("model", changes["model"], MODEL_MAX_CHARS)
                values["model"] = changes["model"]
            if "description" in changes:
                check_chars("description", changes["description"], DESCRIPTION_MAX_CHARS)
                values["description"] = changes["description"]
            if "runner" in changes:
                config = {k: v for k, v in agent.config.items() if k != "runner"}
                if changes["runner"] is not None:
                    config["runner"] = parse_runner(changes["runner"]).model_dump()  # type: ignore[union-attr]
                values["config"] = config
            if values:
                await conn.execute(s.agents.update().where(s.agents.c.id == agent_id).values(**values))
            updated = await load_agent(conn, agent_id)
            assert updated is not None
            return updated

    async def insert_agent(
        self,
        conn: AsyncConnection,
        team_id: int,
        name: str,
        role: str = "engineer",
        model: str | None = None,
        description: str | None = None,
        groups: Sequence[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> Agent:
        if not NAME_PATTERN.match(name or "") or name == ALL:
            raise InvalidInput(
                f"invalid agent name {name!r}: a letter, then letters, digits, '.', '_' or '-' (at most 64)",
                name=name,
            )
        role = (role or "engineer").strip()
        if not NAME_PATTERN.match(role) or len(role) > ROLE_MAX_CHARS:
            raise InvalidInput(f"invalid role {role!r}: a word of at most {ROLE_MAX_CHARS} characters", role=role)
        check_chars("model", model, MODEL_MAX_CHARS)
        config = dict(config or {})
        if config.get("runner") is not None:
            config["runner"] = parse_runner(config["runner"]).model_dump()  # type: ignore[union-attr]
        description = description or config.get("description")
        exists = await conn.scalar(
            sa.select(s.agents.c.id).where(s.agents.c.team_id == team_id, s.agents.c.name == name)
        )
        if exists is not None:
            raise Conflict(f"an agent named {name!r} already exists in this team", name=name)
        if await conn.scalar(sa.select(s.groups.c.id).where(s.groups.c.team_id == team_id, s.groups.c.name == name)):
            raise Conflict(f"{name!r} is already a group of this team; pick another agent name", name=name)
        wanted = list(groups) if groups is not None else list(GROUPS_BY_ROLE.get(role, ()))
        group_ids = await self._group_ids(conn, team_id, [g for g in wanted if g != ALL])
        row = (
            await conn.execute(
                s.agents.insert()
                .values(
                    team_id=team_id,
                    name=name,
                    role=role,
                    model=model,
                    description=description,
                    config=config,
                    created_at=self.clock(),
                )
                .returning(s.agents)
            )
        ).one()
        if group_ids:
            await conn.execute(s.group_members.insert(), [{"group_id": g, "agent_id": row.id} for g in group_ids])
        return agent_from_row(row, tuple(sorted(g for g in wanted if g != ALL)))

    async def _group_ids(self, conn: AsyncConnection, team_id: int, names: Sequence[str]) -> list[int]:
        if not names:
            return []
        rows = (
            await conn.execute(
                sa.select(s.groups.c.id, s.groups.c.name).where(
                    s.groups.c.team_id == team_id, s.groups.c.name.in_(names)
                )
            )
        ).all()
        missing = sorted(set(names) - {r.name for r in rows})
        if missing:
            raise InvalidInput(f"unknown groups: {', '.join(missing)}", groups=missing)
        return [r.id for r in rows]

    async def get_agent(self, principal: Principal, agent_id: int) -> Agent:
        async with self.db.read() as conn:
            agent = await load_agent(conn, agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} not found")
            await self.get_team(principal, agent.team_id, conn)
            return agent

    async def find_agent(self, conn: AsyncConnection, team_id: int, name_or_id: str | int) -> Agent | None:
        text = str(name_or_id)
        if text.isdigit() and int(text) > ID_MAX:
            return None
        column = s.agents.c.id if text.isdigit() else s.agents.c.name
        value: Any = int(text) if text.isdigit() else text
        agent_id = await conn.scalar(sa.select(s.agents.c.id).where(s.agents.c.team_id == team_id, column == value))
        return None if agent_id is None else await load_agent(conn, agent_id)

    async def list_agents(self, principal: Principal, team_id: int) -> list[AgentView]:
        """Every agent of the team with its status (idle, busy, offline) and active task count."""
        async with self.db.read() as conn:
            team = await self.get_team(principal, team_id, conn)
            agents = await load_agents(conn, s.agents.c.team_id == team_id)
            held = await conn.execute(
                sa.select(s.tasks.c.holder_agent_id, sa.func.count())
                .where(s.tasks.c.team_id == team_id, s.tasks.c.status == CLAIMED)
                .group_by(s.tasks.c.holder_agent_id)
            )
            counts: dict[int, int] = {holder: n for holder, n in held}
            in_turn = set(
                (
                    await conn.execute(
                        sa.select(s.turns.c.agent_id).where(s.turns.c.team_id == team_id, s.turns.c.ended_at.is_(None))
                    )
                ).scalars()
            )
        now = self.clock()
        views = []
        for agent in agents:
            active = counts.get(agent.id, 0)
            status = AgentStatus.of(active, agent.last_seen_at, now, team.settings.offline_after_seconds)
            if agent.id in in_turn:
                status = AgentStatus.BUSY  # the hub is running it right now
            runner = agent.config.get("runner")
            kind = runner.get("type") if isinstance(runner, dict) else runner if isinstance(runner, str) else None
            views.append(AgentView(agent, status, active, kind))
        return views

    # -- groups -----------------------------------------------------------------------------------------------

    async def list_groups(self, principal: Principal, team_id: int) -> list[Group]:
        async with self.db.read() as conn:
            await self.get_team(principal, team_id, conn)
            names = [a.name for a in await load_agents(conn, s.agents.c.team_id == team_id)]
            rows = (
                await conn.execute(sa.select(s.groups).where(s.groups.c.team_id == team_id).order_by(s.groups.c.name))
            ).all()
            members = (
                await conn.execute(
                    sa.select(s.group_members.c.group_id, s.agents.c.name)
                    .join(s.agents, s.agents.c.id == s.group_members.c.agent_id)
                    .where(s.agents.c.team_id == team_id)
                    .order_by(s.agents.c.name)
                )
            ).all()
        by_group: dict[int, list[str]] = {}
        for group_id, agent_name in members:
            by_group.setdefault(group_id, []).append(agent_name)
        everyone = Group(0, team_id, ALL, "Every agent of the team", tuple(sorted(names)))
        return [everyone, *(Group(r.id, r.team_id, r.name, r.description, tuple(by_group.get(r.id, ()))) for r in rows)]

    async def create_group(
        self,
        principal: Principal,
        team_id: int,
        name: str,
        description: str | None = None,
        members: Sequence[str | int] = (),
    ) -> Group:
        """A new group for multicast (managers and admins). Its name may not be `all` nor an agent's name."""
        async with self.db.write() as conn:
            await self.get_team(principal, team_id, conn)
            _refuse_self_join(principal, name, members)
            require_manager(principal, team_id, "create groups")
            if not NAME_PATTERN.match(name or "") or name == ALL:
                raise InvalidInput(
                    f"invalid group name {name!r}: a letter, then letters, digits, '.', '_' or '-' (at most 64), "
                    "not 'all'",
                    name=name,
                )
            check_chars("description", description, GROUP_DESCRIPTION_MAX_CHARS)
            if await self._group_id(conn, team_id, name) is not None:
                raise Conflict(f"a group named {name!r} already exists in this team", name=name)
            if await self.find_agent(conn, team_id, name) is not None:
                raise Conflict(f"{name!r} is an agent of this team; pick another group name", name=name)
            agent_ids = await self._member_ids(conn, team_id, members)
            group_id = (
                await conn.execute(
                    s.groups.insert()
                    .values(team_id=team_id, name=name, description=description)
                    .returning(s.groups.c.id)
                )
            ).scalar_one()
            if agent_ids:
                await conn.execute(s.group_members.insert(), [{"group_id": group_id, "agent_id": a} for a in agent_ids])
            await _group_event(conn, team_id, principal, self.clock(), "group_created", name, agent_ids)
            return await _load_group(conn, team_id, name)

    async def add_group_members(
        self, principal: Principal, team_id: int, group: str, members: Sequence[str | int]
    ) -> Group:
        """Put agents (names or ids) into a group (managers and admins); those already in it stay as they are."""
        async with self.db.write() as conn:
            await self.get_team(principal, team_id, conn)
            _refuse_self_join(principal, group, members)
            require_manager(principal, team_id, "change group membership")
            group_id = await self._changeable_group(conn, team_id, group)
            agent_ids = await self._member_ids(conn, team_id, members, required=True)
            present = set(
                (
                    await conn.execute(
                        sa.select(s.group_members.c.agent_id).where(s.group_members.c.group_id == group_id)
                    )
                ).scalars()
            )
            added = [a for a in agent_ids if a not in present]
            if added:
                await conn.execute(s.group_members.insert(), [{"group_id": group_id, "agent_id": a} for a in added])
                await _group_event(conn, team_id, principal, self.clock(), "group_members_added", group, added)
            return await _load_group(conn, team_id, group)

    async def remove_group_members(
        self, principal: Principal, team_id: int, group: str, members: Sequence[str | int]
    ) -> Group:
        """Take agents (names or ids) out of a group (managers and admins); those not in it are ignored."""
        async with self.db.write() as conn:
            await self.get_team(principal, team_id, conn)
            require_manager(principal, team_id, "change group membership")
            group_id = await self._changeable_group(conn, team_id, group)
            agent_ids = await self._member_ids(conn, team_id, members, required=True)
            removed = (
                await conn.execute(
                    s.group_members.delete()
                    .where(s.group_members.c.group_id == group_id, s.group_members.c.agent_id.in_(agent_ids))
                    .returning(s.group_members.c.agent_id)
                )
            ).scalars()
            gone = sorted(removed)
            if gone:
                await _group_event(conn, team_id, principal, self.clock(), "group_members_removed", group, gone)
            return await _load_group(conn, team_id, group)

    async def _changeable_group(self, conn: AsyncConnection, team_id: int, name: str) -> int:
        if name == ALL:
            raise InvalidInput("'all' holds every agent of the team by itself; its membership cannot change", name=name)
        group_id = await self._group_id(conn, team_id, name)
        if group_id is None:
            raise NotFound(f"group {name!r} not found in this team", group=name)
        return group_id

    async def _group_id(self, conn: AsyncConnection, team_id: int, name: str) -> int | None:
        found: int | None = await conn.scalar(
            sa.select(s.groups.c.id).where(s.groups.c.team_id == team_id, s.groups.c.name == name)
        )
        return found

    async def _member_ids(
        self, conn: AsyncConnection, team_id: int, members: Sequence[str | int], required: bool = False
    ) -> list[int]:
        if required and not members:
            raise InvalidInput("name at least one agent in members", field="members")
        found: dict[int, None] = {}
        unknown = []
        for member in members:
            agent = await self.find_agent(conn, team_id, member)
            if agent is None:
                unknown.append(str(member))
            else:
                found[agent.id] = None
        if unknown:
            raise InvalidInput(f"unknown agents: {', '.join(unknown)}", members=unknown)
        return list(found)


async def _load_group(conn: AsyncConnection, team_id: int, name: str) -> Group:
    row = (await conn.execute(sa.select(s.groups).where(s.groups.c.team_id == team_id, s.groups.c.name == name))).one()
    members = (
        await conn.execute(
            sa.select(s.agents.c.name)
            .join(s.group_members, s.group_members.c.agent_id == s.agents.c.id)
            .where(s.group_members.c.group_id == row.id)
            .order_by(s.agents.c.name)
        )
    ).scalars()
    return Group(row.id, row.team_id, row.name, row.description, tuple(members))


async def _group_event(
    conn: AsyncConnection, team_id: int, principal: Principal, now: datetime, kind: str, group: str, ids: list[int]
) -> None:
    await append_events(conn, team_id, principal.actor, now, [(None, kind, {"group": group, "agent_ids": ids})])


def _refuse_self_join(principal: Principal, group: str, members: Sequence[str | int]) -> None:
    """An agent that is not a manager never puts itself into a group; the refusal says so, not just "forbidden"."""
    agent = principal.agent
    if agent is None or agent.is_manager:
        return
    if {str(m).strip() for m in members} & {agent.name, str(agent.id)}:
        raise Forbidden(
            f"you cannot put yourself into group {group!r}: only a manager or an admin changes group membership",
            group=group,
        )


async def load_agent(conn: AsyncConnection, agent_id: int) -> Agent | None:
    found = await load_agents(conn, s.agents.c.id == agent_id)
    return found[0] if found else None


async def load_agents(conn: AsyncConnection, where: sa.ColumnElement[bool]) -> list[Agent]:
    rows = (await conn.execute(sa.select(s.agents).where(where).order_by(s.agents.c.id))).all()
    if not rows:
        return []
    memberships = (
        await conn.execute(
            sa.select(s.group_members.c.agent_id, s.groups.c.name)
            .join(s.groups, s.groups.c.id == s.group_members.c.group_id)
            .where(s.group_members.c.agent_id.in_([r.id for r in rows]))
        )
    ).all()
    groups: dict[int, list[str]] = {}
    for agent_id, name in memberships:
        groups.setdefault(agent_id, []).append(name)
    return [agent_from_row(r, tuple(sorted(groups.get(r.id, ())))) for r in rows]


def agent_from_row(row: sa.Row[Any], groups: tuple[str, ...]) -> Agent:
    m = row._mapping  # by key: a Row's attribute lookup costs six times as much
    return Agent(
        id=m["id"],
        team_id=m["team_id"],
        name=m["name"],
        role=m["role"],
        model=m["model"],
        description=m["description"],
        config=dict(m["config"] or {}),
        created_at=m["created_at"],
        last_seen_at=m["last_seen_at"],
        groups=groups,
    )


def _org(row: sa.Row[Any]) -> Org:
    return Org(row.id, row.name, row.slug, row.created_at)


async def load_team(conn: AsyncConnection, team_id: int) -> Team:
    row = (await conn.execute(sa.select(s.teams).where(s.teams.c.id == team_id))).first()
    if row is None:
        raise NotFound(f"team {team_id} not found")
    return _team(row)


def _team(row: sa.Row[Any]) -> Team:
    return Team(row.id, row.org_id, row.name, row.slug, TeamSettings.from_json(row.settings or {}), row.created_at)


def _settings_json(settings: TeamSettings) -> dict[str, Any]:
    defaults = TeamSettings()
    return {
        k: getattr(settings, k)
        for k in TeamSettings.__dataclass_fields__
        if getattr(settings, k) != getattr(defaults, k)
    }


def _validated_settings(data: dict[str, Any]) -> TeamSettings:
    settings = TeamSettings.from_json(data)
    lease = settings.lease_seconds
    if not isinstance(lease, int) or not LEASE_MIN_SECONDS <= lease <= LEASE_MAX_SECONDS:
        raise InvalidInput(
            f"lease_seconds must be an integer from {LEASE_MIN_SECONDS} to {LEASE_MAX_SECONDS}", lease_seconds=lease
        )
    if not isinstance(settings.max_attempts, int) or not 1 <= settings.max_attempts <= ATTEMPTS_MAX:
        raise InvalidInput(
            f"max_attempts must be an integer from 1 to {ATTEMPTS_MAX}", max_attempts=settings.max_attempts
        )
    limit = settings.daily_cost_limit_usd
    if limit is not None and (not isinstance(limit, int | float) or limit < 0):
        raise InvalidInput("daily_cost_limit_usd must be a non-negative number or null")
    cap = settings.max_concurrent_agents
    if cap is not None and (not isinstance(cap, int) or cap < 1):
        raise InvalidInput("max_concurrent_agents must be a positive integer or null")
    for name in ("offline_after_seconds", "session_timeout_seconds"):
        value = getattr(settings, name)
        # Sign-of-life writes are coarse (at most once a minute), so shorter windows would misreport.
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not PRESENCE_MIN_SECONDS <= value <= PRESENCE_MAX_SECONDS
        ):
            raise InvalidInput(
                f"{name} must be an integer from {PRESENCE_MIN_SECONDS} to {PRESENCE_MAX_SECONDS}", **{name: value}
            )
    if not isinstance(settings.managers_answer_questions, bool):
        raise InvalidInput("managers_answer_questions must be true or false")
    return settings


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:100]
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput(f"cannot make a slug from {text!r}", slug=text)
    return slug


def _required(value: str, field: str) -> str:
    if not value or not value.strip():
        raise InvalidInput(f"{field} is required", field=field)
    if len(value) > 200:
        raise InvalidInput(f"{field} is longer than 200 characters", field=field)
    return value.strip()
