"""Nothing about a family is stored anywhere in the database: after a workspace session and a
session of decisions (API, CDS-free staff page), every text in every table is scanned."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text

from service.app import create_app
from service.workspace import db, store
from service.workspace.models import Base
from service.workspace.source import DatabaseSource

PW = "ett-långt-lösenord-2026"
# values no pack file, account or audit text contains: if one is found, it came from a request
MARKERS = ["Kalle Markörsson", "19811218-9876", "8112189876", "Storgatan 17", "Familjen Markör",
           "MARKOR-ANTECKNING", "zz-markor-behov"]


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table (ours and Alembic's), as text."""
    engine = db.make_engine(url)
    tables = inspect(engine).get_table_names()
    out = {}
    with engine.connect() as conn:
        for table in sorted(tables):
            out[table] = sorted(tuple(str(v) for v in row) for row in conn.execute(text(f'SELECT * FROM "{table}"')))
    return out


def test_decisions_store_nothing_and_no_family_data_in_any_table(db_url, tmp_path):
    db.upgrade(db_url)
    with db.session_scope(db_url) as s:
        store.ensure_seeded(s)
        anna = store.add_user(s, "anna", "redaktor", PW)
        nora = store.add_user(s, "nora", "samordnare", PW, kommun="Nora")
        d = store.create_draft(s, anna, "Ny motivering")
        store.report_availability(s, nora, "Nora", [{"insats": "abc", "status": "finns",
                                                      "contact": "familjecentralen@nora.se"}])
        store.authenticate(s, "anna", PW, "127.0.0.1")
    # every table the models declare exists in the migrated database (nothing outside the scan)
    assert set(Base.metadata.tables) <= set(inspect(db.make_engine(db_url)).get_table_names())
    before = dump(db_url)

    source = DatabaseSource(db_url, cache_dir=tmp_path / "cache")
    app = create_app(rules=source.materialize(source.current()))
    families = [
        {"kommun": "Nora", "age_months": 37, "needs": ["overvikt_fetma"]},
        {"kommun": "1880", "expecting": True},
        {"kommun": "Hällefors", "age_months": 150, "needs": ["foraldrar_separerade_konflikt", "overvikt_fetma"]},
        {"kommun": "Nora", "age_months": 12, "needs": ["zz-markor-behov"]},                   # unknown need
        {"kommun": "Nora", "age_months": 12, "namn": "Kalle Markörsson"},                     # unknown field
        {"kommun": "Nora", "age_months": 12, "note": "19811218-9876 Storgatan 17"},          # personnummer
        {"kommun": "Familjen Markör", "age_months": 12},                                      # unknown kommun
    ]
    with TestClient(app) as client:
        statuses = []
        for body in families:
            r = client.post("/v1/recommendations", json=body, headers={"X-Anteckning": "MARKOR-ANTECKNING"})
            statuses.append(r.status_code)
        r = client.get("/", params={"kommun": "Nora", "age_months": "37", "namn": "Kalle Markörsson",
                                    "pnr": "8112189876"})
        statuses.append(r.status_code)
        # a failed login with a personnummer as the name is audited without it
        from service.workspace.routes import common as redaktion

        client.get("/redaktion/logga-in")
        csrf = client.cookies.get(redaktion.LOGIN_COOKIE)
        r = client.post("/redaktion/logga-in", data={"csrf": csrf, "namn": "19811218-9876", "losenord": "x"})
        assert r.status_code == 401
    assert statuses[:3] == [200, 200, 200]
    assert all(s_ >= 400 for s_ in statuses[3:7])

    after = dump(db_url)
    changed = {t for t in after if after[t] != before.get(t)}
    # decisions wrote nothing; only the failed login left its throttling row and audit line
    assert changed <= {"ws_audit", "ws_login_attempt"}, changed
    blob = repr(after)
    for marker in MARKERS:
        assert marker.casefold() not in blob.casefold(), marker
    with db.session_scope(db_url) as s:
        assert [e.action for e in store.audit(s, limit=1)] in (["inloggning.misslyckad"], ["inloggning.sparrad"])
        # no account has that name: the throttle counts a digest of it, never the typed text (issue 18)
        assert s.scalar(select(store.LoginAttempt.name).order_by(store.LoginAttempt.id.desc())).startswith("?")
