"""Several workers: uvicorn restarts every worker on SIGHUP. A broken pack on disk must not stop
the service; the workers serve the last pack that loaded until the pack is fixed."""
from __future__ import annotations

import os
import signal
import time

import httpx

from tests.http_support import DEFAULT_PACK, Server, bump_edition, copy_pack


def _versions(server: Server, n: int = 12) -> set[str]:
    seen = set()
    for _ in range(n):
        with httpx.Client(base_url=server.base, timeout=10) as c:  # new connection each time
            seen.add(c.get("/healthz").json()["ruleset"]["version"])
    return seen


def _wait_for(pred, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def test_sighup_with_a_broken_pack_keeps_the_last_good_pack_serving(tmp_path):
    pack = copy_pack(DEFAULT_PACK, tmp_path / "pack")
    server = Server(pack, workers=2)
    try:
        (first,) = _versions(server)
        (pack / "behov.yaml").write_text("needs: [\n", encoding="utf-8")  # broken YAML
        os.kill(server.proc.pid, signal.SIGHUP)
        # both restarted workers report the broken pack and fall back to the last good one
        assert _wait_for(lambda: server.stderr().count('"fallback"') >= 2), server.stderr()[-2000:]
        assert "behov.yaml:1: YAML-fel" in server.stderr() or "behov.yaml:2: YAML-fel" in server.stderr()
        assert _wait_for(lambda: _versions(server, 6) == {first})
        body = {"kommun": "Nora", "age_months": 8}
        r = httpx.post(server.base + "/v1/recommendations", json=body, timeout=10)
        assert r.status_code == 200 and r.json()["ruleset"]["version"] == first

        # fixed and changed: the next SIGHUP serves the new pack
        (pack / "behov.yaml").write_text((DEFAULT_PACK / "behov.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        bump_edition(pack, "2099.1")
        os.kill(server.proc.pid, signal.SIGHUP)
        assert _wait_for(lambda: all(v.startswith("2099.1+") for v in _versions(server, 6))), server.stderr()[-2000:]
    finally:
        server.stop()
