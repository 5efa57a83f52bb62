"""Databases for the uppföljning tests: the workspace fixtures (SQLite and a real PostgreSQL
started by the tests, tests/workspace/pg.py), migrated to head."""
from __future__ import annotations

import pytest

from tests.workspace.conftest import db_url, pg_server  # noqa: F401 - fixtures

from service.workspace import db


@pytest.fixture
def migrated(db_url):  # noqa: F811
    db.upgrade(db_url)
    return db_url
