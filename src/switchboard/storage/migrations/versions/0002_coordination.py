"""coordination: messages, sprints, program state, questions, usage, sessions

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import switchboard.storage.schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sprints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("project_name", sa.String(length=200), nullable=False),
        sa.Column("branch", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_sprints_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sprints")),
    )
    with op.batch_alter_table("sprints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sprints_team_id_id"), ["team_id", "id"], unique=False)

    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("session_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.SmallInteger(), nullable=True),
        sa.Column("current_action", sa.String(length=500), nullable=True),
        sa.Column("state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("started_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_agent_sessions_agent_id_agents")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_agent_sessions_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_sessions")),
        sa.UniqueConstraint("agent_id", "session_key", name=op.f("uq_agent_sessions_agent_id_session_key")),
    )
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_sessions_team_id_ended_at"), ["team_id", "ended_at"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("raised_by", sa.String(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_alerts_agent_id_agents")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_alerts_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_team_id_id"), ["team_id", "id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("sender_agent_id", sa.Integer(), nullable=True),
        sa.Column("sender", sa.String(length=120), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target_name", sa.String(length=100), nullable=True),
        sa.Column("target_agent_id", sa.Integer(), nullable=True),
        sa.Column("message_type", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("reply_to", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("created_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sender_agent_id"], ["agents.id"], name=op.f("fk_messages_sender_agent_id_agents")),
        sa.ForeignKeyConstraint(["target_agent_id"], ["agents.id"], name=op.f("fk_messages_target_agent_id_agents")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_messages_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_sender_agent_id_id"), ["sender_agent_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_team_id_id"), ["team_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "program_state_versions",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_program_state_versions_agent_id_agents")),
        sa.PrimaryKeyConstraint("agent_id", "version", name=op.f("pk_program_state_versions")),
    )
    op.create_table(
        "program_states",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_program_states_agent_id_agents")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_program_states_team_id_teams")),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_program_states")),
    )
    op.create_table(
        "message_deliveries",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("read_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_message_deliveries_agent_id_agents")),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_deliveries_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("message_id", "agent_id", name=op.f("pk_message_deliveries")),
    )
    op.create_index(
        "ix_message_deliveries_inbox",
        "message_deliveries",
        ["agent_id", "read_at", sa.text("priority DESC"), "message_id"],
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("asked_by", sa.String(length=120), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=120), nullable=True),
        sa.Column("answered_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_questions_agent_id_agents")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_questions_task_id_tasks")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_questions_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_status_expires_at"), ["status", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_questions_team_id_status_id"), ["team_id", "status", "id"], unique=False)

    op.create_table(
        "sprint_stories",
        sa.Column("sprint_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.String(length=100), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("dependencies", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sprint_id"], ["sprints.id"], name=op.f("fk_sprint_stories_sprint_id_sprints")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_sprint_stories_task_id_tasks")),
        sa.PrimaryKeyConstraint("sprint_id", "story_id", name=op.f("pk_sprint_stories")),
        sa.UniqueConstraint("task_id", name=op.f("uq_sprint_stories_task_id")),
    )
    op.create_table(
        "usage_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("tokens_in", sa.BigInteger(), nullable=False),
        sa.Column("tokens_out", sa.BigInteger(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("at", switchboard.storage.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_usage_records_agent_id_agents")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_usage_records_task_id_tasks")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_usage_records_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_records")),
    )
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_records_agent_id_at"), ["agent_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_records_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_records_team_id_at"), ["team_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_records_team_id_at"))
        batch_op.drop_index(batch_op.f("ix_usage_records_task_id"))
        batch_op.drop_index(batch_op.f("ix_usage_records_agent_id_at"))

    op.drop_table("usage_records")
    op.drop_table("sprint_stories")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_team_id_status_id"))
        batch_op.drop_index(batch_op.f("ix_questions_status_expires_at"))

    op.drop_table("questions")
    op.drop_index("ix_message_deliveries_inbox", table_name="message_deliveries")
    op.drop_table("message_deliveries")
    op.drop_table("program_states")
    op.drop_table("program_state_versions")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_thread_id"))
        batch_op.drop_index(batch_op.f("ix_messages_team_id_id"))
        batch_op.drop_index(batch_op.f("ix_messages_sender_agent_id_id"))

    op.drop_table("messages")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_team_id_id"))

    op.drop_table("alerts")
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_sessions_team_id_ended_at"))

    op.drop_table("agent_sessions")
    with op.batch_alter_table("sprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sprints_team_id_id"))

    op.drop_table("sprints")
