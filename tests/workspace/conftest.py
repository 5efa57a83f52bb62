"""Fixtures for the workspace tests: a database per test, on SQLite and on a real PostgreSQL
server that the session starts itself (tests/workspace/pg.py). Neither is ever skipped."""
from __future__ import annotations

import itertools
import os

import pytest

from service.workspace import db

from .pg import PostgresServer

_counter = itertools.count()


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """Real argon2id, with parameters small enough for hundreds of test accounts on 2 shared
    cores (production keeps argon2-cffi's RFC 9106 defaults: auth._hasher)."""
    from argon2 import PasswordHasher

    from service.workspace import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer().start()
    yield server
    db.dispose_all()
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch):
    """An empty database of each kind, named by DATABASE_URL for the code under test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ws.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database(f"ws_{os.getpid()}_{next(_counter)}")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FORALDRASTOD_PACK_CACHE", str(tmp_path / "pack-cache"))
    monkeypatch.delenv("FORALDRASTOD_RULES", raising=False)
    yield url
    # close this URL's connections so PostgreSQL can drop the database later
    for key, engine in list(db._engines.items()):
        if key[1] == url:
            engine.dispose()
            db._engines.pop(key, None)


@pytest.fixture
def session(db_url):
    from service.workspace import store

    db.upgrade(db_url)
    with db.session_scope(db_url) as s:
        store.ensure_seeded(s)
    with db.session_scope(db_url) as s:
        yield s
