"""One schema for SQLite and PostgreSQL. Changes go through a new migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType: sa.types.TypeEngine[Any] = sa.JSON().with_variant(JSONB(), "postgresql")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

orgs = sa.Table(
    "orgs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("slug", sa.String(100), nullable=False),
    sa.Column("settings", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("org_id", "slug"),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("model", sa.String(200), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("config", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("team_id", "name"),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.UniqueConstraint("team_id", "name"),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", sa.Integer, sa.ForeignKey("groups.id"), primary_key=True),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), primary_key=True),
    sa.Index(None, "agent_id"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id"), nullable=False),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Index(None, "agent_id"),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("instructions", sa.Text, nullable=False),
    sa.Column("task_type", sa.String(50), nullable=True),
    sa.Column("priority", sa.SmallInteger, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("target_kind", sa.String(10), nullable=False),
    sa.Column("target_name", sa.String(100), nullable=True),
    sa.Column("target_agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=True),
    sa.Column("holder_agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("expired_leases", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("lease_seconds", sa.Integer, nullable=False),
    sa.Column("lease_expires_at", UTCDateTime, nullable=True),
    sa.Column("progress", sa.SmallInteger, nullable=True),
    sa.Column("current_action", sa.String(500), nullable=True),
    sa.Column("blocked_reason", sa.String(500), nullable=True),
    sa.Column("tags", JSONType, nullable=False),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("completed_status", sa.String(20), nullable=True),
    sa.Column("tokens_in", sa.BigInteger, nullable=False),
    sa.Column("tokens_out", sa.BigInteger, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    sa.Column("model", sa.String(200), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("claimed_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    # The claim query: ready tasks of a team, best priority first, then oldest.
    sa.Index("ix_tasks_claimable", "team_id", "status", sa.text("priority DESC"), "id"),
    sa.Index("ix_tasks_lease", "status", "lease_expires_at"),
    sa.Index(None, "parent_id"),
    sa.Index(None, "holder_agent_id"),
)

task_dependencies = sa.Table(
    "task_dependencies",
    metadata,
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), primary_key=True),
    sa.Column("depends_on_id", sa.Integer, sa.ForeignKey("tasks.id"), primary_key=True),
    sa.Index(None, "depends_on_id"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("task_id", sa.Integer, nullable=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("data", JSONType, nullable=False),
    sa.Index(None, "task_id", "id"),
    sa.Index(None, "team_id", "id"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), primary_key=True),
    sa.Column("scope", sa.String(40), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("response", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# -- messages: one row per message, one delivery per recipient (each with its own read state) -----------------

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    # A person (admin key) sends with no agent; `sender` is how the message names its sender either way.
    sa.Column("sender_agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("sender", sa.String(120), nullable=False),
    sa.Column("target_kind", sa.String(10), nullable=False),
    sa.Column("target_name", sa.String(100), nullable=True),
    sa.Column("target_agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("message_type", sa.String(20), nullable=False),
    sa.Column("priority", sa.SmallInteger, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("thread_id", sa.Integer, nullable=True),
    sa.Column("reply_to", sa.Integer, nullable=True),
    sa.Column("task_id", sa.Integer, nullable=True),
    sa.Column("recipient_count", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "team_id", "id"),
    sa.Index(None, "sender_agent_id", "id"),
    sa.Index(None, "thread_id"),
)

message_deliveries = sa.Table(
    "message_deliveries",
    metadata,
    sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), primary_key=True),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), primary_key=True),
    # Copied from the message so that an inbox is read in index order: unread first, high priority first.
    sa.Column("priority", sa.SmallInteger, nullable=False),
    sa.Column("read_at", UTCDateTime, nullable=True),
    sa.Index("ix_message_deliveries_inbox", "agent_id", "read_at", sa.text("priority DESC"), "message_id"),
)

# -- sprints: each story is a task; the story ids the caller chose are kept here -------------------------------

sprints = sa.Table(
    "sprints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("project_name", sa.String(200), nullable=False),
    sa.Column("branch", sa.String(200), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.Index(None, "team_id", "id"),
)

sprint_stories = sa.Table(
    "sprint_stories",
    metadata,
    sa.Column("sprint_id", sa.Integer, sa.ForeignKey("sprints.id"), primary_key=True),
    sa.Column("story_id", sa.String(100), primary_key=True),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False, unique=True),
    sa.Column("wave", sa.Integer, nullable=False),
    # The story ids this story depends on, as the caller gave them (the tasks' dependencies hold them too).
    sa.Column("dependencies", JSONType, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

# -- program state: one JSON document per agent, every version kept --------------------------------------------

program_states = sa.Table(
    "program_states",
    metadata,
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), primary_key=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", JSONType, nullable=False),
    sa.Column("updated_by", sa.String(120), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

program_state_versions = sa.Table(
    "program_state_versions",
    metadata,
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("state", JSONType, nullable=False),
    sa.Column("mode", sa.String(10), nullable=False),
    sa.Column("updated_by", sa.String(120), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# -- people in the loop: questions agents ask, alerts they raise ------------------------------------------------

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("asked_by", sa.String(120), nullable=False),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("options", JSONType, nullable=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("answer", sa.Text, nullable=True),
    sa.Column("answered_by", sa.String(120), nullable=True),
    sa.Column("answered_at", UTCDateTime, nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "team_id", "status", "id"),
    sa.Index(None, "status", "expires_at"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("raised_by", sa.String(120), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("priority", sa.String(20), nullable=False),
    sa.Column("task_id", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime, nullable=True),
    sa.Column("acknowledged_by", sa.String(120), nullable=True),
    sa.Index(None, "team_id", "id"),
)

# -- usage and presence: the cost ledger, and agents' working sessions -----------------------------------------

usage_records = sa.Table(
    "usage_records",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("tokens_in", sa.BigInteger, nullable=False),
    sa.Column("tokens_out", sa.BigInteger, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    sa.Column("model", sa.String(200), nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index(None, "team_id", "at"),
    sa.Index(None, "agent_id", "at"),
    sa.Index(None, "task_id"),
)

agent_sessions = sa.Table(
    "agent_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=False),
    sa.Column("session_key", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("progress", sa.SmallInteger, nullable=True),
    sa.Column("current_action", sa.String(500), nullable=True),
    sa.Column("state", JSONType, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("agent_id", "session_key"),
    sa.Index(None, "team_id", "ended_at"),
)

# -- git: repositories a team registers, and the worktree each claimed task gets ---------------------------------

repositories = sa.Table(
    "repositories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("path", sa.String(1000), nullable=False),
    sa.Column("base_branch", sa.String(200), nullable=False),
    sa.Column("branch_prefix", sa.String(100), nullable=False),
    sa.Column("worktree_root", sa.String(1000), nullable=True),
    sa.Column("merge_strategy", sa.String(10), nullable=False),
    sa.Column("merge_on_approve", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("team_id", "name"),
)

task_worktrees = sa.Table(
    "task_worktrees",
    metadata,
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), primary_key=True),
    sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
    sa.Column("path", sa.String(1000), nullable=False),
    sa.Column("branch", sa.String(300), nullable=False),
    sa.Column("base_commit", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("merge_commit", sa.String(64), nullable=True),
    # The branch's last commit when it was merged: the branch is deleted then, and the diff still reads from it.
    sa.Column("head_commit", sa.String(64), nullable=True),
    # Why git could not create the worktree (status `failed`); the claim stands regardless.
    sa.Column("error", sa.String(1000), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_at", UTCDateTime, nullable=True),
    sa.Column("merged_at", UTCDateTime, nullable=True),
    sa.Index(None, "repository_id"),
)

# -- outgoing webhooks: URLs a team registers for chosen events, and each delivery to them ----------------------

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("events", JSONType, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("disabled_reason", sa.String(500), nullable=True),
    # The last team event this webhook has been offered; deliveries are made for later ones.
    sa.Column("last_event_id", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("disabled_at", UTCDateTime, nullable=True),
    sa.Index(None, "team_id"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("webhook_id", sa.Integer, sa.ForeignKey("webhooks.id"), nullable=False),
    sa.Column("event_id", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("webhook_id", "event_id"),
    sa.Index(None, "status", "next_attempt_at"),
)

# -- reviews: a task in review, whom it waits for, and the verdict -------------------------------------------------

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False),
    # The engineer whose work is reviewed: the task goes back to it when changes are asked for.
    sa.Column("engineer_agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("reviewer_agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
    sa.Column("requested_by", sa.String(120), nullable=False),
    sa.Column("request_summary", sa.Text, nullable=True),
    # pending, approved, changes_requested, rejected, withdrawn
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("verdict_summary", sa.Text, nullable=True),
    sa.Column("comments", JSONType, nullable=False),
    sa.Column("decided_by", sa.String(120), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Index(None, "task_id", "id"),
    sa.Index(None, "team_id", "reviewer_agent_id", "status"),
)

# -- turns: one run of an agent started by the dispatcher, and the triggers each turn answered -------------------

turns = sa.Table(
    "turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=False),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=True),
    # The hub process running it; its lease is renewed while it runs, so a turn of a dead hub is ended.
    sa.Column("hub_id", sa.String(40), nullable=False),
    sa.Column("runner", sa.String(20), nullable=False),
    # running, succeeded, failed, timed_out, lost, error
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("trigger", sa.String(40), nullable=False),
    sa.Column("triggers", JSONType, nullable=False),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("command", sa.Text, nullable=True),
    sa.Column("cwd", sa.String(1000), nullable=True),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id"), nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("lease_expires_at", UTCDateTime, nullable=True),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("output_tail", sa.Text, nullable=True),
    sa.Column("error", sa.String(1000), nullable=True),
    sa.Column("tokens_in", sa.BigInteger, nullable=False),
    sa.Column("tokens_out", sa.BigInteger, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    # One turn at a time per agent, across every hub process: the database refuses a second running one.
    sa.Index(
        "ux_turns_running_agent",
        "agent_id",
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    ),
    sa.Index(None, "team_id", "id"),
    sa.Index(None, "agent_id", "id"),
    sa.Index(None, "status", "lease_expires_at"),
)

turn_triggers = sa.Table(
    "turn_triggers",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("turn_id", sa.Integer, sa.ForeignKey("turns.id"), nullable=False),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=False),
    # `task:<id>:<attempt>`, `message:<id>`, ...: a trigger starts at most one turn, whichever hub sees it.
    sa.Column("trigger_key", sa.String(100), nullable=False),
    sa.UniqueConstraint("agent_id", "trigger_key"),
    sa.Index(None, "turn_id"),
    sa.Index(None, "trigger_key"),
)

# -- the dashboard: people's signed-in browser sessions and one-time sign-in links ------------------------------

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=True),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Index(None, "key_id"),
)

login_links = sa.Table(
    "login_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
)
