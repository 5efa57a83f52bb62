"""Reloading the rule pack: admin endpoint (token), SIGHUP, bad packs keep the old one serving,
the old engine is closed, and memory stays bounded over 200 reloads."""
from __future__ import annotations

import os
import resource
import signal
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.core.state import EngineState
from tests.http_support import MINI, Server, bump_edition, copy_pack

TOKEN = "hemlig-token-123"
FAMILY = {"kommun": "Nora", "age_months": 40, "needs": ["overvikt_fetma"]}


@pytest.fixture
def pack(tmp_path) -> Path:
    return copy_pack(MINI, tmp_path / "pack")


@pytest.fixture
def admin(monkeypatch, pack):
    monkeypatch.setenv("FORALDRASTOD_ADMIN_TOKEN", TOKEN)
    with TestClient(create_app(pack)) as c:
        yield c


def reload(client, token=TOKEN):
    return client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {token}"})


def break_pack(pack: Path) -> None:
    rules = pack / "regler" / "alla.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("recommend: [abc]", "recommend: [abcd]"),
                     encoding="utf-8")


def test_reload_is_absent_without_a_token(monkeypatch, pack):
    monkeypatch.delenv("FORALDRASTOD_ADMIN_TOKEN", raising=False)
    with TestClient(create_app(pack)) as c:
        r = c.post("/v1/admin/reload", headers={"Authorization": "Bearer x"})
    assert r.status_code == 404
    assert r.json()["message"].startswith("Fel i sökväg: finns inte")


@pytest.mark.parametrize("headers,status", [
    ({}, 401),
    ({"Authorization": "Basic aGVtbGlnOnRva2Vu"}, 401),
    ({"Authorization": "Bearer "}, 401),
    ({"Authorization": "Bearer fel-token"}, 403),
    ({"Authorization": f"Bearer {TOKEN}x"}, 403),
])
def test_reload_needs_the_right_bearer_token(admin, headers, status):
    version = admin.get("/healthz").json()["ruleset"]["version"]
    r = admin.post("/v1/admin/reload", headers=headers)
    assert r.status_code == status
    assert r.json()["errors"][0]["field"] == "Authorization"
    assert TOKEN not in r.text
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"
    assert admin.get("/healthz").json()["ruleset"]["version"] == version


def test_reload_is_documented_when_enabled(admin):
    assert "/v1/admin/reload" in admin.get("/openapi.json").json()["paths"]


def test_good_reload_swaps_the_pack_and_every_answer_says_which(admin, pack):
    before = admin.post("/v1/recommendations", json=FAMILY).json()
    bump_edition(pack, "2")
    rules = pack / "regler" / "alla.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "Barn med övervikt eller fetma.", "Barn med övervikt eller fetma (ny lydelse)."), encoding="utf-8")
    r = reload(admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["previous"]["version"] == before["ruleset"]["version"]
    assert body["ruleset"]["version"] != before["ruleset"]["version"]
    assert body["ruleset"]["version"].startswith("2+")
    after = admin.post("/v1/recommendations", json=FAMILY).json()
    assert after["ruleset"]["version"] == body["ruleset"]["version"]
    rationale = {r["insats_id"]: r["rationale"] for r in after["recommendations"]}
    assert rationale["overvikt-fetma"].endswith("(ny lydelse).")
    health = admin.get("/healthz").json()
    assert health["ruleset"]["version"] == body["ruleset"]["version"] and health["reloads"] == 1
    assert admin.get("/v1/rules").json()["ruleset"]["version"] == body["ruleset"]["version"]


def test_bad_pack_keeps_the_old_one_serving_and_reports_file_line(admin, pack):
    before = admin.post("/v1/recommendations", json=FAMILY).json()
    break_pack(pack)
    r = reload(admin)
    assert r.status_code == 422
    body = r.json()
    assert body["message"].startswith("Regelpaketet är ogiltigt")
    assert any(e.startswith("regler/alla.yaml:") and "okänd insats 'abcd'" in e for e in body["pack_errors"])
    assert admin.post("/v1/recommendations", json=FAMILY).json() == before


def test_yaml_syntax_error_is_reported_with_its_line(admin, pack):
    (pack / "behov.yaml").write_text("needs:\n  - {code: x, label: [oavslutad\n", encoding="utf-8")
    r = reload(admin)
    assert r.status_code == 422
    assert any(e.startswith("behov.yaml:") for e in r.json()["pack_errors"])
    assert admin.get("/healthz").json()["reloads"] == 0


def test_old_engine_is_closed_and_a_request_caught_in_the_swap_retries(pack):
    state = EngineState(pack)
    old = state.serving
    original = old.body_for

    def swapped_mid_request(family, day):
        bump_edition(pack, "3")
        state.reload()  # closes `old` while this request still holds it
        return original(family, day)

    old.body_for = swapped_mid_request
    from engine import Family
    body = state.decide_body(Family(kommun="Hällefors", age_months=100, needs=["foraldrar_separerade_konflikt"]))
    assert b'"version":"3+' in body
    assert old.engine.evaluator._closed
    state.close()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def test_memory_stays_bounded_over_200_reloads(pack):
    from engine import Family
    state = EngineState(pack)
    family = Family(kommun="Nora", age_months=50, needs=["overvikt_fetma"])
    for _ in range(20):  # warm up allocator pools
        state.reload()
        state.decide_body(family)
    start = _rss_bytes()
    for _ in range(200):
        state.reload()
        state.decide_body(family)
    growth = _rss_bytes() - start
    state.close()
    assert state.reloads == 220
    # measured: +0.9 MB over 200 reloads of the mini pack; with Engine.close() disabled
    # the same loop grows by ~250 MB
    assert growth < 8 * 1024 * 1024, f"RSS grew {growth / 1e6:.1f} MB over 200 reloads"


def _version(server: Server) -> str:
    return httpx.get(server.base + "/healthz", timeout=5).json()["ruleset"]["version"]


def _wait_for(predicate, timeout=15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_sighup_reloads_a_running_server(pack):
    server = Server(pack)
    try:
        first = _version(server)
        bump_edition(pack, "7")
        os.kill(server.proc.pid, signal.SIGHUP)
        assert _wait_for(lambda: _version(server).startswith("7+")), "SIGHUP did not reload"
        answer = httpx.post(server.base + "/v1/recommendations", json=FAMILY, timeout=5).json()
        assert answer["ruleset"]["version"].startswith("7+") and answer["ruleset"]["version"] != first

        break_pack(pack)
        os.kill(server.proc.pid, signal.SIGHUP)
        assert _wait_for(lambda: '"ok":false' in server.stderr()), "failed reload was not logged"
        assert _version(server).startswith("7+")
        assert httpx.post(server.base + "/v1/recommendations", json=FAMILY, timeout=5).status_code == 200
    finally:
        log = server.stop()
    assert "regler/alla.yaml:" in log
