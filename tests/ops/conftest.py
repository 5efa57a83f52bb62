"""Fixtures for the operations tests: one real PostgreSQL server for the session (started here,
restartable), and a template database with two published versions of the Örebro pack (version 1
current), three accounts, an open draft and their audit trail; each test gets a fresh copy."""
from __future__ import annotations

import itertools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from service.workspace import db
from tests.http_support import bump_edition

from .support import PASSWORD, RestartablePostgres

_counter = itertools.count()
BVC_V1 = "name: Barnavårdscentral (BVC)\n"
BVC_V2 = "name: Barnavårdscentral (BVC) – utgåva för driftproven\n"


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
    from service.workspace import store

    url = ops_pg.create_database("ops_template")
    db.upgrade(url)
    with db.session_scope(url) as s:
        store.ensure_seeded(s)
        for name, role in (("rut", "redaktor"), ("greta", "granskare"), ("ada", "admin")):
            store.add_user(s, name, role, PASSWORD, actor="kommandoraden")
    with tempfile.TemporaryDirectory() as tmp, db.session_scope(url) as s:
        target = Path(tmp) / "v2"
        store.export(s, 1, target)
        bump_edition(target, "2026.drift")
        insatser = target / "insatser.yaml"  # a visible change: a mixed answer would show it
        text = insatser.read_text(encoding="utf-8")
        assert BVC_V1 in text
        insatser.write_text(text.replace(BVC_V1, BVC_V2), encoding="utf-8")
        rut, greta = store.active_user(s, "rut"), store.active_user(s, "greta")
        draft = store.import_draft(s, target, rut, "Ny utgåva för driftproven")
        v2 = store.approve(s, draft.id, greta, features=False)
        v1 = store.publish(s, 1, greta, "Tillbaka till version 1 inför proven")
        store.create_draft(s, rut, "Ett öppet utkast som säkerhetskopian ska ha med")
        versions = (v1.version, v2.version)
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
