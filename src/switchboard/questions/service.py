"""Asking, answering and expiring questions. Alerts live in `alerts.py`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.clock import Clock
from switchboard.errors import Conflict, Forbidden, InvalidInput
from switchboard.limits import check_bytes
from switchboard.messages.models import MessagePriority, MessageType
from switchboard.messages.records import insert_message
from switchboard.questions.alerts import AlertService
from switchboard.questions.models import (
    Question,
    QuestionKind,
    QuestionStatus,
    chosen_option,
    parse_options,
    parse_timeout,
)
from switchboard.questions.records import ensure_team_task, load_visible, team_scope
from switchboard.storage import Database
from switchboard.storage import schema as s
from switchboard.tasks.records import append_events
from switchboard.teams.models import Principal, Target, TargetKind, Team
from switchboard.teams.service import TeamService
from switchboard.waiting import check_wait_seconds, wait_until

Q = s.questions
PENDING = QuestionStatus.PENDING.value
EXPIRY_BATCH = 500
LIST_MAX = 500
# The hub itself expires questions; events and messages name it so.
HUB_ACTOR = "hub"


class QuestionService:
    def __init__(self, db: Database, clock: Clock, teams: TeamService) -> None:
        self.db = db
        self.clock = clock
        self.teams = teams
        self.alerts = AlertService(db, clock, teams)

    # -- asking -------------------------------------------------------------------------------------------------

    async def ask_human(
        self,
        principal: Principal,
        question: str,
        options: Sequence[str] | None = None,
        kind: str | None = None,
        task_id: int | None = None,
        timeout_minutes: int | None = None,
        team_id: int | None = None,
    ) -> Question:
        """Put a question to the people watching the team; it expires unanswered after `timeout_minutes`."""
        agent = principal.agent
        if agent is None:
            raise Forbidden("only agents ask questions; a person answers them")
        if not isinstance(question, str) or not question.strip():
            raise InvalidInput("question is required", field="question")
        check_bytes("question", question)
        parsed_kind = QuestionKind.parse(kind)
        choices = parse_options(options, parsed_kind)
        minutes = parse_timeout(timeout_minutes)
        team = await self.teams.default_team(principal, team_id)
        now = self.clock()
        async with self.db.write() as conn:
            if task_id is not None:
                await ensure_team_task(conn, team.id, task_id)
            values = {
                "team_id": team.id,
                "agent_id": agent.id,
                "asked_by": agent.name,
                "task_id": task_id,
                "question": question,
                "options": list(choices) if choices is not None else None,
                "kind": parsed_kind.value,
                "status": PENDING,
                "expires_at": now + timedelta(minutes=minutes),
                "created_at": now,
            }
            row = (await conn.execute(Q.insert().values(**values).returning(Q))).one()
            data = {"question_id": row.id, "kind": parsed_kind.value, "options": values["options"]}
            await append_events(conn, team.id, agent.name, now, [(task_id, "question_asked", data)])
        return Question.from_row(row)

    # -- reading ------------------------------------------------------------------------------------------------

    async def get_response(self, principal: Principal, question_id: int, wait_seconds: float | None = None) -> Question:
        """The question with its status and, once answered, the answer: for the asker, managers and admins.

        With `wait_seconds`, a pending question is waited on until it is answered (or expires) or the time is up.
        """
        wait = check_wait_seconds(wait_seconds)
        question = await self._response_now(principal, question_id)
        if question.status != QuestionStatus.PENDING or wait == 0:
            return question
        return await wait_until(
            self.db.notifier,
            question.team_id,
            lambda: self._response_now(principal, question_id),
            wait,
            found=lambda q: q.status != QuestionStatus.PENDING,
        )

    async def _response_now(self, principal: Principal, question_id: int) -> Question:
        async with self.db.read() as conn:
            row = await load_visible(conn, Q, "question", question_id, principal)
        _ensure_reader(principal, row)
        now = self.clock()
        if _is_due(row, now):
            async with self.db.write() as conn:
                await self._expire(conn, Q.c.id == question_id, now)
                row = (await conn.execute(sa.select(Q).where(Q.c.id == question_id))).one()
        return Question.from_row(row)

    async def list_questions(
        self, principal: Principal, team_id: int | None = None, status: str | None = None, limit: int = 100
    ) -> list[Question]:
        """Pending questions first, then the rest; oldest first within each. An agent sees only its own.

        With no team named, an admin key sees its whole org.
        """
        wanted = QuestionStatus.parse(status)
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"limit must be from 1 to {LIST_MAX}", limit=limit)
        scope = await team_scope(self.teams, principal, Q.c.team_id, team_id)
        agent = principal.agent
        if agent is not None and not agent.is_manager:
            scope = sa.and_(scope, Q.c.agent_id == agent.id)
        await self._expire_due_within(scope)
        where = scope if wanted is None else sa.and_(scope, Q.c.status == wanted.value)
        pending_first = sa.case((Q.c.status == PENDING, 0), else_=1)
        query = sa.select(Q).where(where).order_by(pending_first, Q.c.id).limit(limit)
        async with self.db.read() as conn:
            return [Question.from_row(r) for r in await conn.execute(query)]

    # -- answering ----------------------------------------------------------------------------------------------

    async def answer(self, principal: Principal, question_id: int, answer: str) -> Question:
        """Answer a pending question; the asker is told by a message in the same transaction.

        People (admin keys) answer; a manager only where the team allows it. With options, the answer must be one.
        """
        if not isinstance(answer, str) or not answer.strip():
            raise InvalidInput("answer is required", field="answer")
        check_bytes("answer", answer)
        now = self.clock()
        async with self.db.write() as conn:
            row = await load_visible(conn, Q, "question", question_id, principal, self.db.lock_rows)
            _ensure_answerer(principal, row, await self.teams.get_team(principal, row.team_id, conn))
            if not _is_due(row, now):
                return await self._record_answer(conn, principal, row, answer, now)
            # Answering too late still expires the question for good, so the refusal comes after the commit.
            await self._expire(conn, Q.c.id == question_id, now)
        raise _expired(row)

    async def _record_answer(
        self, conn: AsyncConnection, principal: Principal, row: Any, answer: str, now: datetime
    ) -> Question:
        if row.status == QuestionStatus.EXPIRED.value:
            raise _expired(row)
        if row.status == QuestionStatus.ANSWERED.value:
            raise _already_answered(row)
        final = chosen_option(row.options, answer) if row.options else answer
        # Conditional on `pending`, so of two people answering at once exactly one answer is kept.
        updated = (
            await conn.execute(
                Q.update()
                .where(Q.c.id == row.id, Q.c.status == PENDING)
                .values(
                    status=QuestionStatus.ANSWERED.value, answer=final, answered_by=principal.actor, answered_at=now
                )
                .returning(Q)
            )
        ).first()
        if updated is None:
            raise _already_answered((await conn.execute(sa.select(Q).where(Q.c.id == row.id))).one())
        data = {"question_id": row.id, "answer": final, "answered_by": principal.actor}
        await append_events(conn, row.team_id, principal.actor, now, [(row.task_id, "question_answered", data)])
        if row.agent_id is not None:
            await insert_message(
                conn,
                team_id=row.team_id,
                sender=principal.actor,
                sender_agent_id=principal.agent.id if principal.agent is not None else None,
                target=Target(TargetKind.AGENT, row.asked_by, row.agent_id),
                recipient_ids=[row.agent_id],
                body=f"Your question #{row.id} was answered: {final}",
                message_type=MessageType.RESULT,
                priority=MessagePriority.HIGH,
                now=now,
                task_id=row.task_id,
            )
        return Question.from_row(updated)

    # -- expiring -----------------------------------------------------------------------------------------------

    async def expire_due(self) -> int:
        """Expire unanswered questions past their timeout; returns how many."""
        total = 0
        while True:
            async with self.db.write() as conn:
                expired = await self._expire(conn, sa.true(), self.clock())
            total += expired
            if expired < EXPIRY_BATCH:
                return total

    async def _expire_due_within(self, scope: sa.ColumnElement[bool]) -> None:
        """Expire what a read is about to show, taking the write lock only when something is due."""
        now = self.clock()
        due = sa.and_(scope, Q.c.status == PENDING, Q.c.expires_at <= now)
        async with self.db.read() as conn:
            if await conn.scalar(sa.select(Q.c.id).where(due).limit(1)) is None:
                return
        async with self.db.write() as conn:
            while await self._expire(conn, scope, now) == EXPIRY_BATCH:
                pass

    async def _expire(self, conn: AsyncConnection, scope: sa.ColumnElement[bool], now: datetime) -> int:
        """One batch: pending questions in `scope` past `expires_at` become expired, and each asker is told."""
        due = sa.and_(scope, Q.c.status == PENDING, Q.c.expires_at <= now)
        # Not correlated: the batch is its own query over the table the update changes.
        batch = sa.select(Q.c.id).where(due).order_by(Q.c.expires_at, Q.c.id).limit(EXPIRY_BATCH).correlate(None)
        # The update re-checks `pending`: a question answered meanwhile stays answered.
        rows = (
            await conn.execute(
                Q.update()
                .where(Q.c.id.in_(batch), Q.c.status == PENDING)
                .values(status=QuestionStatus.EXPIRED.value)
                .returning(Q)
            )
        ).all()
        for row in rows:
            data = {"question_id": row.id, "expires_at": row.expires_at.isoformat()}
            await append_events(conn, row.team_id, HUB_ACTOR, now, [(row.task_id, "question_expired", data)])
            if row.agent_id is not None:
                await insert_message(
                    conn,
                    team_id=row.team_id,
                    sender=HUB_ACTOR,
                    sender_agent_id=None,
                    target=Target(TargetKind.AGENT, row.asked_by, row.agent_id),
                    recipient_ids=[row.agent_id],
                    body=_expiry_note(row),
                    message_type=MessageType.STATUS,
                    priority=MessagePriority.NORMAL,
                    now=now,
                    task_id=row.task_id,
                )
        return len(rows)


def _is_due(row: Any, now: datetime) -> bool:
    return bool(row.status == PENDING and row.expires_at is not None and row.expires_at <= now)


def _ensure_reader(principal: Principal, row: Any) -> None:
    agent = principal.agent
    if agent is None or agent.is_manager or agent.id == row.agent_id:
        return
    raise Forbidden(f"only the agent that asked ({row.asked_by}), a manager or an admin may read question #{row.id}")


def _ensure_answerer(principal: Principal, row: Any, team: Team) -> None:
    """People answer; a manager too when the team's `managers_answer_questions` setting allows it."""
    agent = principal.agent
    if agent is None:
        return
    if not agent.is_manager:
        raise Forbidden(f"only a person (an admin key) answers questions; you are {agent.name} ({agent.role})")
    if not team.settings.managers_answer_questions:
        raise Forbidden(
            "this team's managers may not answer questions: a person answers them "
            "(the team setting managers_answer_questions allows managers to)"
        )
    if agent.id == row.agent_id:
        raise Forbidden("you cannot answer your own question")


def _expired(row: Any) -> Conflict:
    return Conflict(
        f"question #{row.id} expired unanswered at {row.expires_at.isoformat()}; it can no longer be answered",
        status=QuestionStatus.EXPIRED.value,
        expires_at=row.expires_at.isoformat(),
    )


def _already_answered(row: Any) -> Conflict:
    return Conflict(
        f"question #{row.id} was already answered by {row.answered_by}",
        status=QuestionStatus.ANSWERED.value,
        answered_by=row.answered_by,
        answer=row.answer,
    )


def _expiry_note(row: Any) -> str:
    minutes = round((row.expires_at - row.created_at).total_seconds() / 60)
    excerpt = row.question if len(row.question) <= 200 else row.question[:200] + "…"
    return f"Your question #{row.id} expired unanswered after {minutes} minutes: {excerpt}"
