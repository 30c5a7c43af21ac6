"""reviews, dispatcher turns, dashboard sign-in

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import switchboard.storage.schema

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name=op.f("fk_login_links_key_id_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_links_token_hash")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("engineer_agent_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_agent_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("request_summary", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verdict_summary", sa.Text(), nullable=True),
        sa.Column("comments", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["engineer_agent_id"], ["agents.id"], name=op.f("fk_reviews_engineer_agent_id_agents")),
        sa.ForeignKeyConstraint(["reviewer_agent_id"], ["agents.id"], name=op.f("fk_reviews_reviewer_agent_id_agents")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_reviews_task_id_tasks")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_reviews_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_index(op.f("ix_reviews_task_id_id"), "reviews", ["task_id", "id"], unique=False)
    op.create_index(
        op.f("ix_reviews_team_id_reviewer_agent_id_status"),
        "reviews",
        ["team_id", "reviewer_agent_id", "status"],
        unique=False,
    )
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("hub_id", sa.String(length=40), nullable=False),
        sa.Column("runner", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("triggers", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("command", sa.Text(), nullable=True),
        sa.Column("cwd", sa.String(length=1000), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("started_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_expires_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("output_tail", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("tokens_in", sa.BigInteger(), nullable=False),
        sa.Column("tokens_out", sa.BigInteger(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_turns_agent_id_agents")),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name=op.f("fk_turns_key_id_api_keys")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_turns_task_id_tasks")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_turns_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turns")),
    )
    op.create_index(op.f("ix_turns_agent_id_id"), "turns", ["agent_id", "id"], unique=False)
    op.create_index(op.f("ix_turns_status_lease_expires_at"), "turns", ["status", "lease_expires_at"], unique=False)
    op.create_index(op.f("ix_turns_team_id_id"), "turns", ["team_id", "id"], unique=False)
    op.create_index(
        "ux_turns_running_agent",
        "turns",
        ["agent_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name=op.f("fk_web_sessions_key_id_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_key_id"), "web_sessions", ["key_id"], unique=False)
    op.create_table(
        "turn_triggers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("trigger_key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_turn_triggers_agent_id_agents")),
        sa.ForeignKeyConstraint(["turn_id"], ["turns.id"], name=op.f("fk_turn_triggers_turn_id_turns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_triggers")),
        sa.UniqueConstraint("agent_id", "trigger_key", name=op.f("uq_turn_triggers_agent_id_trigger_key")),
    )
    op.create_index(op.f("ix_turn_triggers_turn_id"), "turn_triggers", ["turn_id"], unique=False)
    op.create_index(op.f("ix_turn_triggers_trigger_key"), "turn_triggers", ["trigger_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_turn_triggers_trigger_key"), table_name="turn_triggers")
    op.drop_index(op.f("ix_turn_triggers_turn_id"), table_name="turn_triggers")
    op.drop_table("turn_triggers")
    op.drop_index(op.f("ix_web_sessions_key_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(
        "ux_turns_running_agent",
        table_name="turns",
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index(op.f("ix_turns_team_id_id"), table_name="turns")
    op.drop_index(op.f("ix_turns_status_lease_expires_at"), table_name="turns")
    op.drop_index(op.f("ix_turns_agent_id_id"), table_name="turns")
    op.drop_table("turns")
    op.drop_index(op.f("ix_reviews_team_id_reviewer_agent_id_status"), table_name="reviews")
    op.drop_index(op.f("ix_reviews_task_id_id"), table_name="reviews")
    op.drop_table("reviews")
    op.drop_table("login_links")
