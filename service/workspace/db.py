"""Database connection: DATABASE_URL, else an SQLite file in the project's var/."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

PROJECT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    raise NotImplementedError


def make_engine(url: str | None = None) -> Engine:
    raise NotImplementedError


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    raise NotImplementedError
    yield


def upgrade(url: str | None = None) -> None:
    raise NotImplementedError
