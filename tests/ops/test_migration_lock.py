"""`foraldrastod db upgrade` under the migration lock (issue 21): on PostgreSQL an advisory lock,
on SQLite a file lock. Two upgrades at once on a fresh database: one migrates, the other waits
and then finds nothing to do; the schema is at head with every table."""
from __future__ import annotations

import fcntl
import subprocess
import time

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from service.workspace import db
from service.workspace.dblock import ADVISORY_KEY
from service.workspace.models import Base
from tests.http_support import BIN, ROOT

from .support import cli

pytestmark = pytest.mark.slow
TABLES = set(Base.metadata.tables)


def _upgrade(url: str) -> subprocess.Popen:
    import os

    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.Popen([str(BIN), "db", "upgrade"], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _schema(url: str) -> tuple[str | None, set[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rev = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
            assert len(rev) == 1, rev
            return rev[0], set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()


def test_two_upgrades_at_once_on_a_fresh_postgresql_database(ops_pg):
    url = ops_pg.create_database("ops_two_upgrades")
    started = time.monotonic()
    first, second = _upgrade(url), _upgrade(url)
    outs = [p.communicate(timeout=120) for p in (first, second)]
    took = time.monotonic() - started
    codes = [first.returncode, second.returncode]
    revision, tables = _schema(url)
    waited = sum("väntar" in err for _, err in outs)
    print(f"\n[drift] två samtidiga `db upgrade` på en ny PostgreSQL-databas: slutkoder {codes}, "
          f"{waited} väntade på låset, {took:.2f} s totalt, schemaversion {revision}")
    assert codes == [0, 0], outs
    assert revision == _head()
    assert TABLES <= tables
    for out, _ in outs:
        assert f"schemaversion {_head()}" in out


def test_an_upgrade_waits_while_another_holds_the_postgresql_lock(ops_pg):
    url = ops_pg.create_database("ops_lock_wait")
    with psycopg.connect(host=str(ops_pg.socket_dir), port=ops_pg.port, user=ops_pg.user,
                         dbname="ops_lock_wait", autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_KEY,))
        proc = _upgrade(url)
        time.sleep(3.0)
        still_waiting = proc.poll() is None
        with holder.cursor() as cur:  # nothing migrated while the lock is held
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'alembic_version'")
            tables_while_held = cur.fetchone()[0]
        released_at = time.monotonic()
        holder.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
        out, err = proc.communicate(timeout=120)
        after_release = time.monotonic() - released_at
    print(f"\n[drift] `db upgrade` medan låset hålls: väntade {still_waiting}, klar {after_release:.2f} s "
          f"efter att låset släpptes")
    assert still_waiting and tables_while_held == 0
    assert "En annan process uppgraderar databasens schema; väntar" in err
    assert proc.returncode == 0, err
    assert _schema(url)[0] == _head()


def test_an_upgrade_waits_for_the_sqlite_file_lock(tmp_path):
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    with open(tmp_path / "ws.db.upgrade-lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = _upgrade(url)
        time.sleep(2.5)
        still_waiting = proc.poll() is None
        fcntl.flock(lock, fcntl.LOCK_UN)
    out, err = proc.communicate(timeout=120)
    assert still_waiting
    assert "väntar" in err and proc.returncode == 0, err
    revision, tables = _schema(url)
    assert revision == _head() and TABLES <= tables
    again = cli(url, "db", "upgrade")  # nothing left to do: same revision, no wait
    assert again.returncode == 0 and "väntar" not in again.stderr
