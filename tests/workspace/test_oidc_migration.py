"""Migration 0004 (single sign-on) on SQLite and PostgreSQL: local accounts keep working, (issuer,
subject) is unique, and a downgrade to 0002 gives the old table back."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from service.workspace import db


def test_0004_adds_issuer_subject_and_the_login_table_and_goes_back(db_url):
    db.upgrade(db_url, "0002")
    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO ws_user (name, password_hash, role, active, created_at) "
                          "VALUES ('greta', 'x', 'granskare', true, CURRENT_TIMESTAMP)"))
    db.upgrade(db_url, "0004")
    assert db.schema_revision(db_url) == "0004"
    with engine.begin() as conn:
        assert conn.execute(text("SELECT issuer, subject FROM ws_user WHERE name = 'greta'")).one() == (None, None)
        conn.execute(text("INSERT INTO ws_user (name, password_hash, role, active, created_at, issuer, subject) "
                          "VALUES ('sso:a', '!oidc', 'redaktor', true, CURRENT_TIMESTAMP, 'https://idp', 'a')"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO ws_user (name, password_hash, role, active, created_at, issuer, subject) "
                          "VALUES ('sso:b', '!oidc', 'redaktor', true, CURRENT_TIMESTAMP, 'https://idp', 'a')"))
    assert "ws_oidc_login" in inspect(engine).get_table_names()
    db.dispose_all()
    from alembic import command

    command.downgrade(db.alembic_config(db_url), "0002")
    engine = db.make_engine(db_url)
    columns = {c["name"] for c in inspect(engine).get_columns("ws_user")}
    assert "issuer" not in columns and "ws_oidc_login" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ws_user")).scalar() == 2
