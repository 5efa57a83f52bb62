"""Helpers for the uppföljning tests: an app on the embedded pack, reading every table."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text

from service.app import create_app
from service.uppfoljning.models import UppfBedomning, UppfCell, UppfSkydd
from service.workspace import db


def client(monkeypatch=None) -> TestClient:
    return TestClient(create_app())


def flush(c: TestClient) -> None:
    counters = c.app.state.uppf_counters
    assert counters.flush(), "the batch could not be written"


def every_row(url: str) -> list[tuple[str, tuple]]:
    """Every row of every table in the database, as (table, values)."""
    engine = db.make_engine(url)
    out = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                out.append((table, tuple(row)))
    return out


def totals(url: str) -> dict:
    with db.make_engine(url).connect() as conn:
        cells = conn.execute(select(UppfCell.__table__)).all()
        assessments = conn.execute(select(UppfBedomning.__table__)).all()
        skydd = conn.execute(select(UppfSkydd.__table__)).all()
    return {"cells": cells, "assessments": assessments, "skydd": skydd}
