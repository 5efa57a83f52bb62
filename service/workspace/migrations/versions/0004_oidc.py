"""Single sign-on (OpenID Connect): an account may be the pair (issuer, subject) from an identity
provider, and a login begun at the provider is held, single use and short-lived, until it returns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("ws_user", sa.Column("issuer", sa.String(255)))
    op.add_column("ws_user", sa.Column("subject", sa.String(255)))
    # NULLs are distinct in a unique index on both SQLite and PostgreSQL: local accounts never clash
    op.create_index("ix_ws_user_issuer_subject", "ws_user", ["issuer", "subject"], unique=True)
    op.create_table(
        "ws_oidc_login",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("next_url", sa.String(500), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ws_oidc_login")
    op.drop_index("ix_ws_user_issuer_subject", table_name="ws_user")
    with op.batch_alter_table("ws_user") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("subject")
        batch.drop_column("issuer")
