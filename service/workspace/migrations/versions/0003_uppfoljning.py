"""Uppföljning (issue 20): counters only. One row per distinct cell (composite primary keys, no
surrogate id, no timestamp, no user): uppf_cell, uppf_bedomning and the län-wide uppf_skydd.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uppf_cell",
        sa.Column("period", sa.String(4), primary_key=True),
        sa.Column("kommunkod", sa.String(4), primary_key=True),
        sa.Column("aldersband", sa.String(8), primary_key=True),
        sa.Column("behov", sa.String(80), primary_key=True),
        sa.Column("niva", sa.String(12), primary_key=True),
        sa.Column("insats_id", sa.String(80), primary_key=True),
        sa.Column("utfall", sa.String(12), primary_key=True),
        sa.Column("antal", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "uppf_bedomning",
        sa.Column("period", sa.String(4), primary_key=True),
        sa.Column("kommunkod", sa.String(4), primary_key=True),
        sa.Column("aldersband", sa.String(8), primary_key=True),
        sa.Column("antal", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "uppf_skydd",
        sa.Column("period", sa.String(4), primary_key=True),
        sa.Column("antal", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("uppf_skydd")
    op.drop_table("uppf_bedomning")
    op.drop_table("uppf_cell")
