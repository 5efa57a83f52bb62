"""Gherkin features belong to a pack version: every version and draft without any
`features/*.feature` file gets the repository's features (the ones that were run against it until
now), so a region deployed before this change keeps its behaviour tests. The engine's version
string hashes only *.yaml files, so no version string changes. One audit event records it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_versions = sa.table("ws_pack_version", sa.column("id", sa.Integer), sa.column("number", sa.Integer),
                     sa.column("files", sa.JSON))
_drafts = sa.table("ws_draft", sa.column("id", sa.Integer), sa.column("status", sa.String),
                   sa.column("files", sa.JSON))
_audit = sa.table("ws_audit", sa.column("at", sa.DateTime(timezone=True)), sa.column("actor", sa.String),
                  sa.column("action", sa.String), sa.column("target", sa.String), sa.column("summary", sa.Text),
                  sa.column("reason", sa.Text))


def _has_features(files: dict) -> bool:
    return any(p.startswith("features/") and p.endswith(".feature") for p in files)


def upgrade() -> None:
    from service.workspace.featurefiles import repository

    features = repository()
    if not features:
        return
    conn = op.get_bind()
    versions = drafts = 0
    for row in conn.execute(sa.select(_versions.c.id, _versions.c.files)).all():
        files = dict(row.files or {})
        if not _has_features(files):
            conn.execute(_versions.update().where(_versions.c.id == row.id).values(files={**files, **features}))
            versions += 1
    for row in conn.execute(sa.select(_drafts.c.id, _drafts.c.files).where(_drafts.c.status != "publicerad")).all():
        files = dict(row.files or {})
        if not _has_features(files):
            conn.execute(_drafts.update().where(_drafts.c.id == row.id).values(files={**files, **features}))
            drafts += 1
    if versions or drafts:
        conn.execute(_audit.insert().values(
            at=dt.datetime.now(dt.timezone.utc), actor="system", action="beteendetester.tillagda",
            target="alla versioner",
            summary=f"{len(features)} beteendetester från features/ lades till i {versions} versioner och "
                    f"{drafts} öppna utkast (versionssträngarna är oförändrade)",
            reason="Beteendetesterna hör nu till regelpaketets version och kan ändras i /redaktion",
        ))


def downgrade() -> None:
    """Nothing: the features stay in the file maps (0001 keeps .feature files as pack files too), so a
    downgrade never loses a feature someone wrote."""
