"""The target rule: how `builder`, `builders`, `@engineer`, `all` or nothing name who may take work."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import InvalidInput
from switchboard.limits import ID_MAX
from switchboard.storage import schema as s
from switchboard.teams.models import Agent, Target, TargetKind

ALL = "all"
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")


async def resolve_target(conn: AsyncConnection, team_id: int, raw: str | int | None) -> Target:
    """Parse what a caller wrote as a target. Unknown names are an error, never a silent drop."""
    if raw is None or (isinstance(raw, str) and raw.strip() in ("", "none")):
        return Target(TargetKind.NONE)
    text = str(raw).strip()
    if text == ALL:
        return Target(TargetKind.ALL, ALL)
    if text.startswith("@"):
        role = text[1:]
        exists = await conn.scalar(
            sa.select(sa.func.count()).where(s.agents.c.team_id == team_id, s.agents.c.role == role)
        )
        if not exists:
            raise InvalidInput(f"unknown target {text!r}: no agent in this team has role {role!r}", target=text)
        return Target(TargetKind.ROLE, role)
    agent_query = sa.select(s.agents.c.id, s.agents.c.name).where(s.agents.c.team_id == team_id)
    if text.isdigit() and int(text) <= ID_MAX:
        agent_query = agent_query.where(s.agents.c.id == int(text))
    else:
        agent_query = agent_query.where(s.agents.c.name == text)
    agent = (await conn.execute(agent_query)).first()
    if agent is not None:
        return Target(TargetKind.AGENT, agent.name, agent.id)
    group = await conn.scalar(sa.select(s.groups.c.name).where(s.groups.c.team_id == team_id, s.groups.c.name == text))
    if group is not None:
        return Target(TargetKind.GROUP, group)
    raise InvalidInput(
        f"unknown target {text!r}: not an agent, group or role (@role) of this team, nor 'all'", target=text
    )


def target_admits(target: Target, agent: Agent) -> bool:
    """May this agent take work aimed at `target`? Mirrors `admitting_clause`."""
    match target.kind:
        case TargetKind.NONE | TargetKind.ALL:
            return True
        case TargetKind.AGENT:
            return target.agent_id == agent.id
        case TargetKind.ROLE:
            return target.name == agent.role
        case TargetKind.GROUP:
            return target.name in agent.groups


def admitting_clause(
    kind: sa.ColumnElement[Any], name: sa.ColumnElement[Any], agent_id: sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """The same rule as `target_admits`, as SQL over a table's target columns: work any of a set of agents may
    take. The agents are bound at execution (`admitted_agents`), so the statement is built and compiled once."""
    return sa.or_(
        kind.in_([TargetKind.NONE.value, TargetKind.ALL.value]),
        sa.and_(kind == TargetKind.AGENT.value, agent_id.in_(sa.bindparam("admitted_ids", expanding=True))),
        sa.and_(kind == TargetKind.ROLE.value, name.in_(sa.bindparam("admitted_roles", expanding=True))),
        sa.and_(kind == TargetKind.GROUP.value, name.in_(sa.bindparam("admitted_groups", expanding=True))),
    )


def admitted_agents(agents: Sequence[Agent]) -> dict[str, list[Any]]:
    """The values `admitting_clause` binds for these agents."""
    return {
        "admitted_ids": sorted({a.id for a in agents}),
        "admitted_roles": sorted({a.role for a in agents}),
        "admitted_groups": sorted({g for a in agents for g in a.groups}) or [""],
    }


def target_from_row(kind: str, name: str | None, agent_id: int | None) -> Target:
    return Target(TargetKind(kind), name, agent_id)
