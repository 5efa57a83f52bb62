"""Concurrency over HTTP: 32 threads agree with one at a time, 5,000 requests in a row are all
answered, and `foraldrastod serve --workers 2` answers correctly from both processes."""
from __future__ import annotations

import asyncio
import random
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient

from engine.loader import DEFAULT_PACK
from service.app import create_app
from tests.http_support import Server

KOMMUNER = ["Nora", "Örebro", "1883", "laxa", "Hällefors", "Lindesberg", "Kumla", "Degerfors"]
NEEDS = [[], ["overvikt_fetma"], ["vald_eller_omsorgssvikt"], ["normbrytande_beteende", "barn_som_anhorig"],
         ["foraldrar_separerade_konflikt"], ["nyanlanda_foraldrar", "beviljat_bistand"]]


def families(n: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        fam = {"kommun": rnd.choice(KOMMUNER), "needs": rnd.choice(NEEDS)}
        if rnd.random() < 0.1:
            fam["expecting"] = True
        else:
            fam["age_months"] = rnd.randint(0, 216)
        out.append(fam)
    return out


def test_32_threads_give_the_same_answers_as_one_at_a_time():
    fams = families(64, seed=1)
    with TestClient(create_app(DEFAULT_PACK)) as one:
        sequential = [one.post("/v1/recommendations", json=f).json() for f in fams]
    with TestClient(create_app(DEFAULT_PACK)) as many:  # a fresh app: nothing cached yet

        def run(offset: int) -> list[tuple[int, dict]]:
            order = list(range(len(fams)))
            random.Random(offset).shuffle(order)
            return [(i, many.post("/v1/recommendations", json=fams[i]).json()) for i in order]

        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(run, range(32)))
    assert len(results) == 32
    for answers in results:
        for i, body in answers:
            assert body == sequential[i]


def test_5000_requests_in_a_row_are_all_answered():
    fams = families(5000, seed=2)
    app = create_app(DEFAULT_PACK)

    async def run() -> tuple[str, dict[int, int], set[str]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            version = (await client.get("/healthz")).json()["ruleset"]["version"]
            statuses: dict[int, int] = {}
            versions: set[str] = set()
            for fam in fams:
                r = await client.post("/v1/recommendations", json=fam)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                versions.add(r.json()["ruleset"]["version"])
        return version, statuses, versions

    # a fresh thread has no running event loop (Playwright's sync API may own this thread's)
    with ThreadPoolExecutor(1) as pool:
        version, statuses, versions = pool.submit(asyncio.run, run()).result()
    assert statuses == {200: 5000}
    assert versions == {version}


def test_two_worker_processes_answer_correctly():
    fams = families(200, seed=3)
    with TestClient(create_app(DEFAULT_PACK)) as local:
        expected = [local.post("/v1/recommendations", json=f).json() for f in fams]
    server = Server(DEFAULT_PACK, workers=2)
    try:
        deadline = time.monotonic() + 20
        while len(server.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(server.children()) >= 2, "uvicorn did not start two workers"

        def ask(i: int) -> tuple[int, dict]:
            with httpx.Client(base_url=server.base, timeout=10) as c:  # new connections spread over workers
                return i, c.post("/v1/recommendations", json=fams[i]).json()

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(ask, range(len(fams))))
        for i, body in answers:
            assert body == expected[i]
        bad = httpx.post(server.base + "/v1/recommendations", json={"kommun": "Nora", "age_months": "12"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "age_months"
    finally:
        log = server.stop()
    assert '"route":"/v1/recommendations","status":200' in log
