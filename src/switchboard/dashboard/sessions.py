"""People signed in to the dashboard. A browser session stands for the admin key it was opened with.

A session opens when a person posts an admin key, or opens a one-time link an admin key asked for. Only the
hashes of session and link tokens are stored. A session ends on sign-out, when it expires, or when its key is
revoked or expires.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from switchboard.clock import Clock
from switchboard.errors import Forbidden, Unauthorized
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.teams.keys import KeyService, hash_key
from switchboard.teams.models import Principal

W = s.web_sessions
L = s.login_links
SESSION_SECONDS = 12 * 3600
LINK_SECONDS = 10 * 60
# Marking last-seen on every request would turn each page load into writes; once a minute is precise enough.
LAST_SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class OpenedSession:
    """A session just opened: the only time its token exists outside the browser's cookie."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class LoginLink:
    """A one-time sign-in link's token, shown once."""

    token: str
    expires_at: datetime

    @property
    def path(self) -> str:
        return f"/dashboard/login/{self.token}"


class WebSessionService:
    def __init__(self, db: Database, clock: Clock, keys: KeyService) -> None:
        self.db = db
        self.clock = clock
        self.keys = keys
        self._last_seen: dict[str, datetime] = {}

    async def sign_in(self, admin_key: str) -> OpenedSession:
        """Open a session for the person holding `admin_key`."""
        principal = await self.keys.authenticate(admin_key.strip())
        _require_person(principal)
        return await self._open(principal.key_id)

    async def create_login_link(self, principal: Principal) -> LoginLink:
        """A link that signs a browser in once, within ten minutes, as the caller's admin key."""
        _require_person(principal)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        expires_at = now + timedelta(seconds=LINK_SECONDS)
        async with self.db.write() as conn:
            await conn.execute(
                L.insert().values(
                    key_id=principal.key_id, token_hash=hash_key(token), created_at=now, expires_at=expires_at
                )
            )
        return LoginLink(token, expires_at)

    async def redeem_login_link(self, token: str) -> OpenedSession:
        """Use a sign-in link: it opens a session once; used, expired or unknown links are refused."""
        now = self.clock()
        async with self.db.write() as conn:
            # One statement marks the link used, so of two browsers opening it at once only one gets a session.
            used = await conn.execute(
                L.update()
                .where(L.c.token_hash == hash_key(token), L.c.used_at.is_(None), L.c.expires_at > now)
                .values(used_at=now)
                .returning(L.c.key_id)
            )
            key_id = used.scalar()
        if key_id is None:
            raise Unauthorized("this sign-in link was used already or has expired; run `switchboard dashboard` again")
        await self.keys.principal_where(s.api_keys.c.id == key_id)
        return await self._open(key_id)

    async def authenticate(self, token: str) -> Principal:
        """The admin a session token stands for, or Unauthorized when the session is over."""
        now = self.clock()
        token_hash = hash_key(token)
        live = sa.select(W.c.key_id).where(W.c.token_hash == token_hash, W.c.ended_at.is_(None), W.c.expires_at > now)
        try:
            # One read finds the session and checks its key: every request the page makes comes through here.
            principal = await self.keys.principal_where(s.api_keys.c.id == live.scalar_subquery())
        except Unauthorized as exc:
            # The key may have been revoked or have expired: its session ends with it.
            await self._end(W.c.token_hash == token_hash)
            raise Unauthorized("your dashboard session has ended; sign in again") from exc
        await self._mark_seen(token_hash, now)
        return principal

    async def sign_out(self, token: str) -> None:
        """End the session at once; signing out of an ended session changes nothing."""
        await self._end(W.c.token_hash == hash_key(token))

    async def _open(self, key_id: int) -> OpenedSession:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        expires_at = now + timedelta(seconds=SESSION_SECONDS)
        async with self.db.write() as conn:
            await conn.execute(
                W.insert().values(key_id=key_id, token_hash=hash_key(token), created_at=now, expires_at=expires_at)
            )
        return OpenedSession(token, expires_at)

    async def _end(self, which: sa.ColumnElement[bool]) -> None:
        async with self.db.write() as conn:
            await conn.execute(W.update().where(which, W.c.ended_at.is_(None)).values(ended_at=self.clock()))

    async def _mark_seen(self, token_hash: str, now: datetime) -> None:
        last = self._last_seen.get(token_hash)
        if last is not None and (now - last).total_seconds() < LAST_SEEN_RESOLUTION_SECONDS:
            return
        self._last_seen[token_hash] = now
        async with self.db.write() as conn:
            await conn.execute(W.update().where(W.c.token_hash == token_hash).values(last_seen_at=now))


def _require_person(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("the dashboard is for people: sign in with an admin key, not an agent's key")
