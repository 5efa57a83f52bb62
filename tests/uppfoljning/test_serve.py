"""A real `foraldrastod serve --workers 2` on a database (an SQLite file, and PostgreSQL):
1,000 registrations, then SIGTERM. The counters hold exactly 1,000 assessments, the rows equal
the distinct cells (not the registrations), and neither a personnummer-shaped nor a free-text
attempt is stored in any table."""
from __future__ import annotations

import datetime as dt
import random
from concurrent.futures import ThreadPoolExecutor

import httpx

from engine import Engine, Family, decision_body
from service.uppfoljning import cells as cellmod

from tests.http_support import Server
from .support import every_row, totals

N = 1000
SECRET_PNR = "19811218-9876"
SECRET_TEXT = "Mamman berättade om sin oro för pappan"


def _registrations(engine: Engine) -> tuple[list[dict], set, int]:
    rng = random.Random(20)
    pack = engine.pack
    kommuner = list(pack.kommuner)
    needs = [n for n in pack.needs]
    bodies, expected_cells, safeguarding = [], set(), 0
    period = str(dt.date.today().year)
    for _ in range(N):
        data: dict = {"kommun": rng.choice(kommuner), "needs": rng.sample(needs, rng.choice([0, 0, 1, 1, 2]))}
        if rng.random() < 0.1:
            data["expecting"] = True
        else:
            data["age_months"] = rng.randrange(0, 217)
        family = Family.model_validate(data)
        try:
            recs = decision_body(engine.decide(family))["recommendations"]
        except Exception:  # noqa: BLE001 - a need that cannot arise at that age: drop it
            data["needs"] = []
            family = Family.model_validate(data)
            recs = decision_body(engine.decide(family))["recommendations"]
        offered = [r["insats_id"] for r in recs if rng.random() < 0.4]
        normalized = pack.normalize(family)
        reg = cellmod.build(pack, kommun=normalized.kommun, age_months=normalized.age_months,
                            expecting=normalized.expecting, needs=sorted(normalized.needs), period=period,
                            recommendations=recs, erbjudna=offered)
        expected_cells.update(reg.cells)
        safeguarding += reg.safeguarding
        bodies.append({**data, "erbjudna": offered})
    return bodies, expected_cells, safeguarding


def _run(url: str) -> None:
    engine = Engine.load(None, cache_size=0)
    try:
        bodies, expected_cells, safeguarding = _registrations(engine)
    finally:
        engine.close()
    server = Server(rules=None, workers=2, env={"DATABASE_URL": url, "FORALDRASTOD_RULES": "",
                                                   # no periodic flush: only SIGTERM writes the counters
                                                   "FORALDRASTOD_UPPFOLJNING_FLUSH_S": "3600"})
    try:
        def post(chunk):
            with httpx.Client(base_url=server.base, timeout=30) as client:
                codes = [client.post("/v1/uppfoljning", json=b).status_code for b in chunk]
            return codes

        with ThreadPoolExecutor(4) as pool:
            codes = [c for part in pool.map(post, [bodies[i::4] for i in range(4)]) for c in part]
        assert codes.count(201) == N, {c: codes.count(c) for c in set(codes)}
        with httpx.Client(base_url=server.base, timeout=30) as client:
            refused = [client.post("/v1/uppfoljning", json={"kommun": "Nora", "age_months": 8, "anteckning": SECRET_TEXT}),
                       client.post("/v1/uppfoljning", json={"kommun": "Nora", "age_months": 8, "erbjudna": [SECRET_PNR]}),
                       client.post("/v1/uppfoljning", json={"kommun": SECRET_PNR, "age_months": 8}),
                       client.post("/v1/uppfoljning", json={"kommun": "Nora", "age_months": 8, "registrering": SECRET_TEXT})]
        assert [r.status_code for r in refused] == [422] * 4
        assert totals(url)["cells"] == []  # all still in the workers' memory
    finally:
        log = server.stop()  # SIGTERM: the workers flush what is left
    assert server.proc.returncode == 0, log[-2000:]
    t = totals(url)
    assert sum(r.antal for r in t["assessments"]) + sum(r.antal for r in t["skydd"]) == N
    assert sum(r.antal for r in t["skydd"]) == safeguarding
    assert len(t["cells"]) == len(expected_cells)  # rows = distinct cells, not registrations
    assert {tuple(r[:7]) for r in t["cells"]} == expected_cells
    stored = repr(every_row(url))
    for secret in (SECRET_PNR, "198112189876", "8112189876", SECRET_TEXT, "oro för pappan"):
        assert secret not in stored
    assert SECRET_PNR not in log and SECRET_TEXT not in log


def test_thousand_registrations_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_PACK_CACHE", str(tmp_path / "cache"))
    _run(f"sqlite:///{tmp_path / 'uppf.db'}")


def test_thousand_registrations_postgresql(pg_server, tmp_path, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_PACK_CACHE", str(tmp_path / "cache"))
    _run(pg_server.create_database("uppf_serve"))
