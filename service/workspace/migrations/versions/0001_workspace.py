"""The workspace: users, pack versions, serving, drafts, audit, login attempts, sessions.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

AUDIT_REFUSAL = "granskningsloggen kan bara utökas (ws_audit är append-only)"


def upgrade() -> None:
    op.create_table(
        "ws_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("kommun", sa.String(8)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "ws_pack_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.Integer, nullable=False, unique=True),
        sa.Column("version", sa.String(120), nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("approver", sa.String(80)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("published_at", TS),
    )
    op.create_table(
        "ws_serving",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("ws_pack_version.id"), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
    )
    op.create_table(
        "ws_draft",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("base_version_id", sa.Integer, sa.ForeignKey("ws_pack_version.id"), nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("kommun", sa.String(8)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("review_comment", sa.Text),
        sa.Column("published_version_id", sa.Integer, sa.ForeignKey("ws_pack_version.id")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "ws_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_table(
        "ws_login_attempt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, index=True),
        sa.Column("client", sa.String(80), nullable=False, index=True),
        sa.Column("at", TS, nullable=False, index=True),
    )
    op.create_table(
        "ws_session",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("ws_user.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    # the audit trail is append-only in the database itself, not only in the store
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION ws_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{AUDIT_REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER ws_audit_append_only BEFORE UPDATE OR DELETE ON ws_audit "
            "FOR EACH ROW EXECUTE FUNCTION ws_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER ws_audit_no_truncate BEFORE TRUNCATE ON ws_audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION ws_audit_append_only()"
        )
    elif dialect == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ws_audit_no_{what.lower()} BEFORE {what} ON ws_audit "
                f"BEGIN SELECT RAISE(ABORT, '{AUDIT_REFUSAL}'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ws_audit_no_truncate ON ws_audit")
        op.execute("DROP TRIGGER IF EXISTS ws_audit_append_only ON ws_audit")
        op.execute("DROP FUNCTION IF EXISTS ws_audit_append_only()")
    for table in ("ws_session", "ws_login_attempt", "ws_audit", "ws_draft", "ws_serving", "ws_user", "ws_pack_version"):
        op.drop_table(table)
