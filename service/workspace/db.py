"""Database connection: DATABASE_URL, else an SQLite file in the project's var/.

`upgrade(url)` runs the Alembic migrations in service/workspace/migrations programmatically
(no alembic.ini). One SQLAlchemy Engine per URL and process: a worker forked by uvicorn builds
its own on first use.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

PROJECT = Path(__file__).resolve().parents[2]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_SQLITE = PROJECT / "var" / "foraldrastod.db"

_engines: dict[tuple[int, str], Engine] = {}
_lock = threading.Lock()


def database_url() -> str:
    """DATABASE_URL, else `sqlite:///<project>/var/foraldrastod.db`."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # plain postgresql:// (as libpq and hosting services write it) means psycopg 3 here
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{DEFAULT_SQLITE}"


def configured() -> bool:
    """True when a database is in use: DATABASE_URL is set or the default SQLite file exists."""
    return bool(os.environ.get("DATABASE_URL", "").strip()) or DEFAULT_SQLITE.exists()


def describe_url(url: str | None = None) -> str:
    """The URL without its password, for logs and messages."""
    return make_url(url or database_url()).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")  # readers (every worker's poll) never block the writer
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    """The process's Engine for `url` (default: database_url())."""
    url = url or database_url()
    key = (os.getpid(), url)
    with _lock:
        engine = _engines.get(key)
        if engine is not None:
            return engine
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 10})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        _engines[key] = engine
        return engine


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    session = sessionmaker(make_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url or database_url()
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Create or migrate the schema (Alembic upgrade to head)."""
    from alembic import command

    url = url or database_url()
    make_engine(url)  # creates var/ for SQLite
    from .dblock import migration_lock

    with migration_lock(url, make_engine):  # one migrator at a time (PostgreSQL advisory lock, SQLite flock)
        command.upgrade(alembic_config(url), revision)


def schema_revision(url: str | None = None) -> str | None:
    """The Alembic revision the database is at (None: not created)."""
    from alembic.runtime.migration import MigrationContext

    with make_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def at_head(url: str | None = None) -> bool:
    """True when the database is at the newest migration (nothing for `upgrade` to do)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    return schema_revision(url) == head
