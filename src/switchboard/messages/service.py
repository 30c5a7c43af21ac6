"""Sending and reading messages; groups' membership lives in the teams service.

An agent only ever sees messages it sent or that were delivered to it; a person with an admin key sees its teams'.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.lowlevel
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Forbidden, InvalidInput, NotFound
from switchboard.limits import ID_MAX, check_bytes, check_chars
from switchboard.messages import records
from switchboard.messages.models import (
    HistoryQuery,
    Inbox,
    InboxQuery,
    Message,
    MessageDraft,
    MessagePage,
    MessagePriority,
    MessageType,
    ReadReceipt,
)
from switchboard.presence.records import touch_session
from switchboard.storage import Database, idempotency
from switchboard.storage import schema as s
from switchboard.tasks.records import append_events
from switchboard.teams.models import Agent, Principal, Team
from switchboard.teams.service import TeamService
from switchboard.teams.targets import resolve_target
from switchboard.waiting import check_wait_seconds, wait_until

log = logging.getLogger("switchboard")
UNRECEIVED = "marked read for a caller who was gone before it received them"

M = records.M
D = records.D
SCOPE = "send_message"
MAX_PAGE = 500
MARK_READ_MAX = 1000


class MessageService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams

    # -- sending ------------------------------------------------------------------------------------------------

    async def send_message(
        self,
        principal: Principal,
        draft: MessageDraft,
        team_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        """Send as the caller to an agent, a group, a role or `all`: one delivery per recipient, made now."""
        _ensure_source_is_caller(principal, draft.source)
        body = _body(draft.message)
        message_type = MessageType.parse(draft.message_type)
        priority = MessagePriority.parse(draft.priority)
        raw_target = _target(draft.target)
        check_chars("idempotency_key", idempotency_key, idempotency.KEY_MAX_CHARS)
        team = await self.teams.default_team(principal, team_id)
        sender_id = principal.agent.id if principal.agent is not None else None
        links = [draft.thread_id, draft.reply_to, draft.task_id]
        # The sender is part of the fingerprint, so a key reused by someone else is a conflict, never their message.
        fingerprint = idempotency.request_hash([principal.actor, raw_target, body, message_type, int(priority), *links])
        async with self.db.write() as conn:
            if idempotency_key is not None:
                earlier = await idempotency.reserve(conn, team.id, SCOPE, idempotency_key, fingerprint, self.clock())
                if earlier is not None:
                    return await records.require_message(conn, earlier["message_id"], sender_id)
            target = await resolve_target(conn, team.id, raw_target)
            recipients = await records.recipient_ids(conn, team.id, target, sender_id)
            if not recipients:
                raise InvalidInput(
                    f"nobody would receive this: {target.label} has no members other than you", target=target.label
                )
            thread_id = await self._thread_of(conn, principal, team, draft)
            await _ensure_task_in_team(conn, team, draft.task_id)
            message_id = await records.insert_message(
                conn,
                team_id=team.id,
                sender=principal.actor,
                sender_agent_id=sender_id,
                target=target,
                recipient_ids=recipients,
                body=body,
                message_type=message_type,
                priority=priority,
                now=self.clock(),
                thread_id=thread_id,
                reply_to=draft.reply_to,
                task_id=draft.task_id,
            )
            if idempotency_key is not None:
                await idempotency.remember(conn, team.id, SCOPE, idempotency_key, {"message_id": message_id})
            return await records.require_message(conn, message_id, sender_id)

    async def _thread_of(
        self, conn: AsyncConnection, principal: Principal, team: Team, draft: MessageDraft
    ) -> int | None:
        """The thread given, or the thread of the message replied to; None starts a new one."""
        thread_id = _checked_id("thread_id", draft.thread_id)
        reply_to = _checked_id("reply_to", draft.reply_to)
        if reply_to is not None:
            where = sa.and_(M.c.id == reply_to, M.c.team_id == team.id)
            if principal.agent is not None:
                where = sa.and_(where, records.visible_to(principal.agent.id))
            replied = (await conn.execute(sa.select(M.c.thread_id).where(where))).first()
            if replied is None:
                raise InvalidInput(
                    f"unknown reply_to {reply_to}: no message you sent or received has this id", reply_to=reply_to
                )
            if thread_id is not None and thread_id != replied.thread_id:
                raise InvalidInput(
                    f"message {reply_to} belongs to thread {replied.thread_id}, not {thread_id}",
                    thread_id=thread_id,
                    reply_to=reply_to,
                )
            return int(replied.thread_id or reply_to)
        if thread_id is not None:
            exists = await conn.scalar(
                sa.select(M.c.id).where(M.c.team_id == team.id, M.c.thread_id == thread_id).limit(1)
            )
            if exists is None:
                raise InvalidInput(f"unknown thread_id {thread_id}: no such thread in this team", thread_id=thread_id)
        return thread_id

    # -- reading ------------------------------------------------------------------------------------------------

    async def get_messages(
        self,
        principal: Principal,
        query: InboxQuery,
        session_id: str | None = None,
        wait_seconds: float | None = None,
    ) -> Inbox:
        """The caller's inbox: unread first, high priority first, then oldest; what it returns is marked read
        unless `mark_as_read` is false. A `session_id` records the session the agent works in.

        With `wait_seconds`, an empty answer waits until a message arrives or the time is up."""
        agent = _inbox_owner(principal)
        _check_limit(query.limit)
        filters = _inbox_filters(query)
        wait = check_wait_seconds(wait_seconds)

        async def inbox() -> Inbox:
            return await self._read_inbox(agent, query, filters, session_id)

        return await wait_until(self.db.notifier, agent.team_id, inbox, wait, found=lambda i: bool(i.messages))

    async def _read_inbox(
        self, agent: Agent, query: InboxQuery, filters: list[sa.ColumnElement[bool]], session_id: str | None
    ) -> Inbox:
        now = self.clock()
        writes = query.mark_as_read or session_id is not None
        marked: Sequence[int] = ()
        try:
            async with self.db.write() if writes else self.db.read() as conn:
                if session_id is not None:
                    await touch_session(conn, agent, session_id, now)
                lock = self.db.lock_rows if query.mark_as_read else None
                unread = await records.inbox_ids(conn, agent.id, filters, unread=True, limit=query.limit, lock=lock)
                ids = list(unread)
                if query.include_read and len(ids) < query.limit:
                    ids += await records.inbox_ids(conn, agent.id, filters, unread=False, limit=query.limit - len(ids))
                if query.mark_as_read:
                    await self._mark(conn, agent, unread, now)
                    marked = unread
                found = {m.id: m for m in await records.fetch_messages(conn, M.c.id.in_(ids), agent.id)}
                remaining = await conn.scalar(
                    sa.select(sa.func.count()).select_from(D).where(D.c.agent_id == agent.id, D.c.read_at.is_(None))
                )
            # A caller cancelled by now (its client hung up) would never receive what was just marked read.
            await anyio.lowlevel.checkpoint_if_cancelled()
        except anyio.get_cancelled_exc_class():
            await self._unmark_unreceived(agent, marked, now)
            raise
        return Inbox(tuple(found[i] for i in ids), int(remaining or 0))

    async def _unmark_unreceived(self, agent: Agent, marked: Sequence[int], now: datetime) -> None:
        """Make messages unread again that were marked read for a caller who is gone before it received them.

        Only the marks of that very read (same time) are undone: a mark that rolled back, or a later read, is
        left alone.
        """
        if not marked:
            return
        with anyio.CancelScope(shield=True):
            try:
                async with self.db.write() as conn:
                    undone = await conn.execute(
                        D.update()
                        .where(D.c.message_id.in_(marked), D.c.agent_id == agent.id, D.c.read_at == now)
                        .values(read_at=None)
                        .returning(D.c.message_id)
                    )
                    ids = sorted(undone.scalars())
                    if ids:
                        event = (None, "messages_unread", {"message_ids": ids, "reason": UNRECEIVED})
                        await append_events(conn, agent.team_id, "hub", now, [event])
            except Exception:
                log.exception("%d message(s) stay read for %s, who is gone", len(marked), agent.name)

    async def mark_read(self, principal: Principal, message_ids: Sequence[int]) -> ReadReceipt:
        """Mark messages delivered to the caller as read. An id that is not in the caller's inbox changes nothing
        and is refused."""
        agent = _inbox_owner(principal)
        if not message_ids:
            raise InvalidInput("give at least one message id", field="message_ids")
        if len(message_ids) > MARK_READ_MAX:
            raise InvalidInput(f"at most {MARK_READ_MAX} message ids at once", limit=MARK_READ_MAX)
        wanted = sorted({_message_id(i) for i in message_ids})
        async with self.db.write() as conn:
            rows = (
                await conn.execute(
                    self.db.lock_rows(
                        sa.select(D.c.message_id, D.c.read_at).where(
                            D.c.agent_id == agent.id, D.c.message_id.in_(wanted)
                        )
                    )
                )
            ).all()
            missing = sorted(set(wanted) - {r.message_id for r in rows})
            if missing:
                raise NotFound(f"message {', '.join(map(str, missing))} not found in your inbox", message_ids=missing)
            unread = sorted(r.message_id for r in rows if r.read_at is None)
            await self._mark(conn, agent, unread, self.clock())
        return ReadReceipt(tuple(wanted), tuple(unread))

    async def _mark(self, conn: AsyncConnection, agent: Agent, unread: Sequence[int], now: datetime) -> None:
        """Mark deliveries read that this transaction found unread and holds (locked on PostgreSQL)."""
        if not unread:
            return
        # No `read_at IS NULL` here: it would lead PostgreSQL to scan every unread delivery of the agent through
        # the inbox index instead of looking the rows up by primary key.
        await conn.execute(D.update().where(D.c.message_id.in_(unread), D.c.agent_id == agent.id).values(read_at=now))
        event = (None, "messages_read", {"message_ids": list(unread)})
        await append_events(conn, agent.team_id, agent.name, now, [event])

    async def get_message(self, principal: Principal, message_id: int) -> Message:
        """One message the caller sent or received (an admin: any of its org's). The sender and admins also see
        each recipient's read receipt."""
        message_id = _message_id(message_id)
        agent = principal.agent
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(M.c.team_id, M.c.sender_agent_id, s.teams.c.org_id)
                    .join(s.teams, s.teams.c.id == M.c.team_id)
                    .where(M.c.id == message_id)
                )
            ).first()
            visible = row is not None and row.org_id == principal.org_id
            if visible and agent is not None:
                where = sa.and_(M.c.id == message_id, records.visible_to(agent.id))
                visible = await conn.scalar(sa.select(M.c.id).where(where)) is not None
            if not visible:
                raise NotFound(f"message {message_id} not found")
            assert row is not None
            if agent is not None and row.sender_agent_id != agent.id:
                return await records.require_message(conn, message_id, agent.id, with_read_count=False)
            message = await records.require_message(conn, message_id, agent.id if agent else None)
            return replace(message, receipts=await records.receipts_of(conn, message_id))

    async def get_sent_messages(
        self,
        principal: Principal,
        limit: int = 50,
        message_type: str | None = None,
        before_id: int | None = None,
        team_id: int | None = None,
    ) -> MessagePage:
        """What the caller sent, newest first, with how many recipients have read each."""
        _check_limit(limit)
        team = await self.teams.default_team(principal, team_id)
        agent = principal.agent
        where = [M.c.team_id == team.id]
        if agent is not None:
            where.append(M.c.sender_agent_id == agent.id)
        else:
            where += [M.c.sender_agent_id.is_(None), M.c.sender == principal.actor]
        if message_type is not None:
            where.append(M.c.message_type == MessageType.parse(message_type).value)
        if before_id is not None:
            where.append(M.c.id < before_id)
        async with self.db.read() as conn:
            found = await records.fetch_messages(
                conn,
                sa.and_(*where),
                agent.id if agent else None,
                order=(M.c.id.desc(),),
                limit=limit + 1,
                with_read_count=True,
            )
        more = len(found) > limit
        return MessagePage(tuple(found[:limit]), found[limit - 1].id if more else None)

    async def query_message_history(
        self, principal: Principal, query: HistoryQuery, team_id: int | None = None
    ) -> MessagePage:
        """Messages oldest first, by thread, peer, type and time. An agent only ever sees messages it sent or
        received; an admin key sees the whole team's traffic."""
        _check_limit(query.limit)
        team = await self.teams.default_team(principal, team_id)
        agent = principal.agent
        where = [M.c.team_id == team.id]
        if agent is not None:
            where.append(records.visible_to(agent.id))
        if query.thread_id is not None:
            where.append(M.c.thread_id == query.thread_id)
        if query.message_type is not None:
            where.append(M.c.message_type == MessageType.parse(query.message_type).value)
        if query.since is not None:
            where.append(M.c.created_at >= _aware(query.since))
        if query.until is not None:
            where.append(M.c.created_at < _aware(query.until))
        if query.after_id is not None:
            where.append(M.c.id > query.after_id)
        async with self.db.read() as conn:
            if query.peer is not None:
                where.append(await self._with_peer(conn, team, agent, query.peer))
            found = await records.fetch_messages(
                conn, sa.and_(*where), agent.id if agent else None, limit=query.limit + 1
            )
        more = len(found) > query.limit
        return MessagePage(tuple(found[: query.limit]), found[query.limit - 1].id if more else None)

    async def _with_peer(
        self, conn: AsyncConnection, team: Team, agent: Agent | None, raw: str | int
    ) -> sa.ColumnElement[bool]:
        peer = await self.teams.find_agent(conn, team.id, raw)
        if peer is None:
            raise InvalidInput(f"unknown peer {raw!r}: no such agent in this team", peer=raw)
        if agent is None:
            return sa.or_(M.c.sender_agent_id == peer.id, records.delivered_to(peer.id))
        return sa.or_(
            sa.and_(M.c.sender_agent_id == agent.id, records.delivered_to(peer.id)),
            sa.and_(M.c.sender_agent_id == peer.id, records.delivered_to(agent.id)),
        )


def _inbox_filters(query: InboxQuery) -> list[sa.ColumnElement[bool]]:
    filters: list[sa.ColumnElement[bool]] = []
    if query.priority is not None:
        filters.append(D.c.priority == int(MessagePriority.parse(query.priority)))
    if query.message_type is not None:
        kind = MessageType.parse(query.message_type).value
        filters.append(D.c.message_id.in_(sa.select(M.c.id).where(M.c.message_type == kind)))
    return filters


async def _ensure_task_in_team(conn: AsyncConnection, team: Team, task_id: int | None) -> None:
    if task_id is None:
        return
    checked = _checked_id("task_id", task_id)
    if await conn.scalar(sa.select(s.tasks.c.id).where(s.tasks.c.id == checked, s.tasks.c.team_id == team.id)) is None:
        raise InvalidInput(f"unknown task_id {task_id}: no such task in this team", task_id=task_id)


def _ensure_source_is_caller(principal: Principal, source: str | int | None) -> None:
    """No spoofing: a `source` / `sender_id`, if given, must name the caller."""
    if source is None or str(source).strip() == "":
        return
    text = str(source).strip()
    agent = principal.agent
    own = {principal.actor} if agent is None else {agent.name, str(agent.id)}
    if text in own:
        return
    if agent is None:
        raise Forbidden(
            f"source {text!r} is not you: an admin key sends as the person holding it ({principal.actor}), never "
            "as an agent; leave source out",
            source=text,
        )
    raise Forbidden(
        f"source {text!r} is not you: you send as {agent.name} (id {agent.id}); leave source out or give your own name",
        source=text,
    )


def _inbox_owner(principal: Principal) -> Agent:
    if principal.agent is None:
        raise Forbidden("an admin key has no inbox: messages are delivered to agents; read a team's traffic instead")
    return principal.agent


def _body(text: str | None) -> str:
    if text is None or not text.strip():
        raise InvalidInput("message is required: the text to send", field="message")
    check_bytes("message", text)
    return text


def _target(raw: str | int | None) -> str | int:
    if raw is None or (isinstance(raw, str) and raw.strip() in ("", "none")):
        raise InvalidInput(
            "target is required: an agent (name or id), a group, a role (@engineer) or all", field="target"
        )
    return raw.strip() if isinstance(raw, str) else raw


def _checked_id(field: str, value: int | None) -> int | None:
    if value is not None and not 0 < value <= ID_MAX:
        raise InvalidInput(f"unknown {field} {value}", field=field)
    return value


def _message_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= ID_MAX:
        raise NotFound(f"message {value} not found")
    return value


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", limit=limit)


def _aware(value: datetime) -> datetime:
    # A time without a zone is taken as UTC, the hub's own zone.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
