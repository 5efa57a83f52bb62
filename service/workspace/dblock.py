"""One schema migration at a time: the lock `db.upgrade` holds while Alembic runs.

Two replicas starting together, a migration Job and a `serve` on a fresh database, or two
operators running `foraldrastod db upgrade` at once must never run DDL side by side. On
PostgreSQL the lock is a session-level advisory lock (`pg_advisory_lock`) on a connection of its
own, held until the migration is done, so every other migrator waits and then finds the schema at
head (nothing left to do). On SQLite it is an exclusive `flock` on a file beside the database
(`<db>.upgrade-lock`); an in-memory database needs none.
"""
from __future__ import annotations

import contextlib
import fcntl
import sys
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

# any constant shared by every process of this service; "foraldrastod" as a 63-bit number
ADVISORY_KEY = int.from_bytes(b"foraldra", "big") & 0x7FFF_FFFF_FFFF_FFFF


def _waiting(log) -> None:
    if log is not None:
        log("En annan process uppgraderar databasens schema; väntar tills den är klar …")


@contextlib.contextmanager
def migration_lock(url: str, make_engine, log=lambda msg: print(msg, file=sys.stderr)) -> Iterator[bool]:
    """Hold the migration lock for `url` (`make_engine(url)` gives the database's engine). Yields
    True when it had to wait for another migrator."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        with make_engine(url).connect() as conn:
            waited = not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            if waited:
                _waiting(log)
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            conn.commit()
            try:
                yield waited
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                    conn.commit()
                except Exception:  # noqa: BLE001 - a lost connection has released it already
                    conn.invalidate()
        return
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database + ".upgrade-lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            waited = False
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waited = True
                _waiting(log)
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield waited
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    yield False
