"""Backup and restore drill (issue 21, item 5). SQLite: `foraldrastod db backup FILE` while a
server runs on the database and answers a load; PostgreSQL: pg_dump/pg_restore as
docs/drift-kubernetes.md says. Each restore goes into a fresh database, which must hold the same
versions, drafts, audit log and accounts, and a server started on it serves the same version."""
from __future__ import annotations

import subprocess

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from service.workspace.backup import BackupRefused
from service.workspace.backup import backup as backup_db
from service.workspace.models import Base
from tests.workspace.pg import find_bin

from .support import DbServer, Load, cli, figures, populate

pytestmark = pytest.mark.slow
COMPARED = ("ws_user", "ws_pack_version", "ws_serving", "ws_draft", "ws_audit")


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of the compared tables, in primary-key order."""
    engine = create_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for name in COMPARED:
                table = Base.metadata.tables[name]
                out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
    finally:
        engine.dispose()
    return out


def _listed(url: str) -> tuple[list[dict], list[dict]]:
    """What `pack versions --json` and `audit --json` print (the same store functions)."""
    from service.workspace import db, store

    try:
        with db.session_scope(url) as s:
            current = store.current_version(s)
            return ([store.version_info(v, current.id) for v in store.versions(s)],
                    [store.audit_info(e) for e in store.audit(s)])
    finally:
        for key, engine in list(db._engines.items()):
            if key[1] == url:
                engine.dispose()
                db._engines.pop(key, None)


def _same_content(original: str, restored: str) -> dict:
    a, b = _rows(original), _rows(restored)
    for name in COMPARED:
        assert a[name] == b[name], f"{name} differs after the restore"
    assert _listed(original) == _listed(restored)
    counts = {name: len(rows) for name, rows in a.items()}
    assert counts["ws_user"] == 3 and counts["ws_pack_version"] == 2 and counts["ws_draft"] == 2
    assert counts["ws_audit"] >= 6
    return counts


def _served_version(url: str) -> str:
    server = DbServer(url)
    try:
        return httpx.get(server.base + "/readyz", timeout=5).json()["ruleset"]["version"]
    finally:
        server.stop()


def test_sqlite_online_backup_while_serving_and_restore(tmp_path):
    original = f"sqlite:///{tmp_path / 'drift.db'}"
    populate(original)
    server = DbServer(original)
    try:
        served = httpx.get(server.base + "/readyz").json()["ruleset"]["version"]
        load = Load({"s": server.base}, seconds=2.0, threads=2, keep_bodies=False).start()
        backup = cli(original, "db", "backup", str(tmp_path / "kopia.db"))
        load.join()
    finally:
        server.stop()
    print(f"\n[drift] db backup under last: {backup.stdout.strip()} – last {figures(load.samples)}")
    assert backup.returncode == 0, backup.stderr
    assert "Säkerhetskopian" in backup.stdout
    assert figures(load.samples)["errors"] == 0
    with pytest.raises(BackupRefused, match="finns redan"):  # never overwritten
        backup_db(original, tmp_path / "kopia.db")

    restored_path = tmp_path / "aterlast" / "foraldrastod.db"  # restore = put the copy in place
    restored_path.parent.mkdir()
    restored_path.write_bytes((tmp_path / "kopia.db").read_bytes())
    restored = f"sqlite:///{restored_path}"
    counts = _same_content(original, restored)
    assert _served_version(restored) == served
    print(f"[drift] SQLite återläst: {counts}, version {served}")


def test_backup_refuses_postgresql_and_points_at_pg_dump(fresh_db, tmp_path):
    r = cli(fresh_db, "db", "backup", str(tmp_path / "x.db"))
    assert r.returncode == 1
    assert "PostgreSQL" in r.stderr and "pg_dump" in r.stderr and "pg_restore" in r.stderr
    assert not (tmp_path / "x.db").exists()


def test_postgresql_pg_dump_and_pg_restore_into_a_fresh_database(fresh_db, ops_pg, populated, tmp_path):
    pg_dump, pg_restore = find_bin("pg_dump"), find_bin("pg_restore")
    assert pg_dump and pg_restore, "pg_dump/pg_restore come with PostgreSQL's client package"
    served = populated.v1  # the template's current version (test_faults checks servers serve it)
    dbname = make_url(fresh_db).database
    env = ops_pg.psql_env()
    dump = tmp_path / "foraldrastod.dump"
    # the documented procedure (docs/drift-kubernetes.md, Säkerhetskopiering)
    subprocess.run([pg_dump, "--format=custom", "--no-owner", "--file", str(dump), dbname],
                   env=env, check=True, capture_output=True, timeout=120)
    restored = ops_pg.create_database(f"{dbname}_aterlast")
    subprocess.run([pg_restore, "--no-owner", "--exit-on-error", "--dbname", f"{dbname}_aterlast", str(dump)],
                   env=env, check=True, capture_output=True, timeout=120)
    counts = _same_content(fresh_db, restored)
    assert _served_version(restored) == served
    print(f"\n[drift] PostgreSQL återläst med pg_restore: {counts}, dump {dump.stat().st_size} byte, version {served}")
