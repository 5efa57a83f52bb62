"""Alembic environment, configured from code (service/workspace/db.py), never from alembic.ini."""
from __future__ import annotations

from alembic import context

from service.workspace.db import make_engine
from service.workspace.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = make_engine(config.attributes["url"])
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline-läge stöds inte: kör `foraldrastod db upgrade` mot databasen.")
run_migrations_online()
