"""Fixtures for the operations tests: one real PostgreSQL server for the session (started here,
restartable), and a template database with two published versions of the Örebro pack (version 1
current), three accounts, an open draft and their audit trail; each test gets a fresh copy."""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import psycopg
import pytest

from service.workspace import db

from .support import RestartablePostgres, populate

_counter = itertools.count()


@dataclass
class Populated:
    template: str
    v1: str
    v2: str


@pytest.fixture(scope="session")
def ops_pg():
    server = RestartablePostgres().start()
    yield server
    db.dispose_all()
    server.stop()


def _dispose(url: str) -> None:
    for key, engine in list(db._engines.items()):
        if key[1] == url:
            engine.dispose()
            db._engines.pop(key, None)


@pytest.fixture(scope="session")
def populated(ops_pg) -> Populated:
    url = ops_pg.create_database("ops_template")
    versions = populate(url)
    _dispose(url)
    assert versions[0] != versions[1]
    return Populated(url, *versions)


@pytest.fixture
def fresh_db(ops_pg, populated) -> str:
    """A new database copied from the template (CREATE DATABASE … TEMPLATE): its URL."""
    name = f"ops_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(host=str(ops_pg.socket_dir), port=ops_pg.port, user=ops_pg.user, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE ops_template')
    url = ops_pg.url(name)
    yield url
    _dispose(url)
