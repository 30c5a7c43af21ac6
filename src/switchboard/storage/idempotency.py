"""Idempotency keys: a request repeated with the same key and body gets the first request's answer."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.errors import Conflict
from switchboard.limits import check_chars
from switchboard.storage import schema as s
from switchboard.storage.database import dialect_insert

KEY_MAX_CHARS = 200
K = s.idempotency_keys


def request_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


async def reserve(
    conn: AsyncConnection, team_id: int, scope: str, key: str, fingerprint: str, now: datetime
) -> dict[str, Any] | None:
    """Reserve `key` for this request, or return what the earlier request with it stored.

    None means the key is new: do the work, then `remember` its answer in the same transaction. A concurrent
    first use waits on the reservation and then replays it. The same key with another request is a conflict.
    """
    check_chars("idempotency_key", key, KEY_MAX_CHARS)
    reserved = await conn.execute(
        dialect_insert(conn, K)
        .values(team_id=team_id, scope=scope, key=key, request_hash=fingerprint, response={}, created_at=now)
        .on_conflict_do_nothing()
        .returning(K.c.key)
    )
    if reserved.first() is not None:
        return None
    row = (await conn.execute(sa.select(K).where(K.c.team_id == team_id, K.c.scope == scope, K.c.key == key))).one()
    if row.request_hash != fingerprint:
        raise Conflict(f"idempotency key {key!r} was already used with a different request", idempotency_key=key)
    response: dict[str, Any] = row.response
    return response


async def remember(conn: AsyncConnection, team_id: int, scope: str, key: str, response: dict[str, Any]) -> None:
    await conn.execute(
        K.update().where(K.c.team_id == team_id, K.c.scope == scope, K.c.key == key).values(response=response)
    )
