"""Reading tools' JSON schemas, and a count of every table's rows to show that nothing changed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from switchboard.hub import Hub
from switchboard.storage import schema

JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
# A value of each JSON type, for sending one a property does not take.
SAMPLES: dict[str, Any] = {
    "string": "not-what-you-want",
    "integer": -7,
    "number": 2.5,
    "boolean": True,
    "array": [{"junk": 1}],
    "object": {"junk": [1]},
    "null": None,
}


def allowed_types(prop: dict[str, Any]) -> set[str] | None:
    """The JSON types a property takes, or None when the schema does not say (anything goes)."""
    if "type" in prop:
        kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        return set(kinds)
    branches = prop.get("anyOf") or prop.get("oneOf")
    if branches:
        found: set[str] = set()
        for branch in branches:
            inner = allowed_types(branch)
            if inner is None:
                return None
            found |= inner
        return found
    if "enum" in prop or "const" in prop:
        return {"string"}
    return None


def wrong_values(prop: dict[str, Any]) -> list[Any]:
    """Values whose JSON type the property does not take (an integer is a number too, and a whole float is
    taken for an integer by lax validation, so those pairs are never offered)."""
    allowed = allowed_types(prop)
    if allowed is None:
        return []
    if "number" in allowed:
        allowed = allowed | {"integer"}
    if "integer" in allowed:
        allowed = allowed | {"boolean"}  # lax validation may read true as 1
    if _is_time(prop):
        allowed = allowed | {"integer", "number"}  # a time may be given as seconds since 1970
    return [SAMPLES[kind] for kind in JSON_TYPES if kind not in allowed]


def _is_time(prop: dict[str, Any]) -> bool:
    branches = [prop, *(prop.get("anyOf") or []), *(prop.get("oneOf") or [])]
    return any(branch.get("format") in ("date-time", "date") for branch in branches)


def properties(tool_schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(tool_schema.get("properties", {}))


def required(tool_schema: dict[str, Any]) -> list[str]:
    return list(tool_schema.get("required", []))


async def row_counts(hub: Hub) -> dict[str, int]:
    """Rows in every table of the hub's schema."""
    async with hub.db.read() as conn:
        counts = {}
        for table in schema.metadata.sorted_tables:
            counts[table.name] = (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
    return counts
