"""Follow-up rounds (issue 20 item 4): a round per period with its questions as opened, each
kommun's status with times and its availability draft, and the kommun's answers about its
organisation (never about a family).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ws_omgang",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("period", sa.String(4), nullable=False, unique=True),
        sa.Column("closes_on", sa.Date, nullable=False),
        sa.Column("opened_by", sa.String(80), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("closed_by", sa.String(80)),
        sa.Column("closed_at", TS),
        sa.Column("pack_version", sa.String(120), nullable=False),
        sa.Column("questions", sa.JSON, nullable=False),
    )
    op.create_table(
        "ws_omgang_kommun",
        sa.Column("round_id", sa.Integer, sa.ForeignKey("ws_omgang.id"), primary_key=True),
        sa.Column("kommunkod", sa.String(8), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", TS),
        sa.Column("submitted_at", TS),
        sa.Column("submitted_by", sa.String(80)),
        sa.Column("approved_at", TS),
        sa.Column("approved_by", sa.String(80)),
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("ws_draft.id")),
    )
    op.create_table(
        "ws_omgang_svar",
        sa.Column("round_id", sa.Integer, sa.ForeignKey("ws_omgang.id"), primary_key=True),
        sa.Column("kommunkod", sa.String(8), primary_key=True),
        sa.Column("question_id", sa.String(80), primary_key=True),
        sa.Column("value", sa.String(1000), nullable=False),
        sa.Column("answered_by", sa.String(80), nullable=False),
        sa.Column("answered_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ws_omgang_svar")
    op.drop_table("ws_omgang_kommun")
    op.drop_table("ws_omgang")
