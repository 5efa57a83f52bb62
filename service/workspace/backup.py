"""`foraldrastod db backup FILE`: an online copy of the workspace's SQLite database.

SQLite's online backup API (`sqlite3.Connection.backup`) copies the database page by page while
servers keep reading and writing it; the copy is a consistent snapshot. It is written to a
temporary file beside FILE, checked (`PRAGMA integrity_check`) and only then renamed to FILE, so
FILE is never a half-written database. PostgreSQL is refused with a pointer to `pg_dump`
(docs/drift-kubernetes.md, "Säkerhetskopiering").
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupRefused(Exception):
    """A Swedish message for the operator; nothing was written."""


PG_ADVICE = ("Databasen är PostgreSQL: `foraldrastod db backup` kopierar bara SQLite-databaser. "
             "Ta säkerhetskopian med PostgreSQL:s eget verktyg, till exempel\n"
             "  pg_dump --format=custom --file=foraldrastod.dump \"$PGDATABASE\"\n"
             "och läs tillbaka den med pg_restore (se docs/drift-kubernetes.md, Säkerhetskopiering).")


def backup(url: str, target: Path) -> dict:
    """Copy the SQLite database at `url` to `target`. Returns {"pages", "bytes", "versions"}.
    Raises BackupRefused (Swedish) for another database, a missing database or an existing FILE."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        raise BackupRefused(PG_ADVICE)
    if backend != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise BackupRefused(f"Databasen {parsed.render_as_string(hide_password=True)} kan inte "
                            "kopieras med `db backup` (bara en SQLite-fil kan det).")
    source = Path(parsed.database)
    if not source.is_file():
        raise BackupRefused(f"Databasen {source} finns inte; det finns inget att kopiera.")
    target = Path(target)
    if target.exists():
        raise BackupRefused(f"{target} finns redan; ange en ny fil (en säkerhetskopia skrivs aldrig över).")
    if not target.parent.is_dir():
        raise BackupRefused(f"Mappen {target.parent} finns inte.")
    if target.resolve() == source.resolve():
        raise BackupRefused("Säkerhetskopian kan inte skrivas till databasen själv.")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        src = sqlite3.connect(source, timeout=10)
        dst = sqlite3.connect(tmp)
        try:
            with dst:
                # 256 pages per step: a writer waits at most one step, never the whole copy
                src.backup(dst, pages=256)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupRefused(f"Kopian klarade inte kontrollen ({check}); ingenting är sparat.")
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            try:
                versions = dst.execute("SELECT count(*) FROM ws_pack_version").fetchone()[0]
            except sqlite3.DatabaseError:
                versions = 0
        finally:
            dst.close()
            src.close()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"pages": pages, "bytes": target.stat().st_size, "versions": versions}


def cmd_db_backup(args) -> int:
    """The CLI command (registered in the workspace CLI): exit 0, or 1 with a Swedish message."""
    import sys

    from . import db

    try:
        info = backup(db.database_url(), Path(args.file))
    except BackupRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"Databasen {db.describe_url()} kunde inte kopieras: {exc}", file=sys.stderr)
        return 1
    print(f"Säkerhetskopian av {db.describe_url()} är skriven till {args.file}: "
          f"{info['bytes']} byte, {info['versions']} publicerade versioner.")
    return 0
