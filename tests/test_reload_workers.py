"""Several workers (issue 10, findings 3, 4 and 6): one pack version across all workers after an
admin reload or SIGHUP; a broken pack is refused before any worker sees it; slow clients are
timed out; connections beyond the cap get 503; the file limit is raised."""
from __future__ import annotations

import os
import signal
import socket
import time

import httpx

from tests.http_support import DEFAULT_PACK, MINI, Server, bump_edition, copy_pack

TOKEN = "hemlig-token-789"


def _workers(server: Server) -> list[int]:
    out = []
    for pid in server.children():
        try:
            if b"spawn_main" in open(f"/proc/{pid}/cmdline", "rb").read():
                out.append(pid)
        except OSError:
            pass
    return sorted(out)


def _versions(server: Server, n: int = 12) -> list[str]:
    seen = []
    for _ in range(n):
        with httpx.Client(base_url=server.base, timeout=10) as c:  # new connection each time
            seen.append(c.get("/healthz").json()["ruleset"]["version"])
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


def test_admin_reload_switches_every_worker(tmp_path):
    pack = copy_pack(MINI, tmp_path / "pack")
    server = Server(pack, workers=2, env={"FORALDRASTOD_ADMIN_TOKEN": TOKEN})
    try:
        assert _wait_for(lambda: len(_workers(server)) == 2)
        (first,) = set(_versions(server, 6))
        bump_edition(pack, "2099.7")
        r = httpx.post(server.base + "/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=15)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["workers"] == 2 and body["workers_switched"] == 2, body
        assert "2 av 2" in body["message"]
        new = body["ruleset"]["version"]
        assert new.startswith("2099.7+") and new != first
        # right after the 200, every answer from every worker is the new version
        family = {"kommun": "Nora", "age_months": 40}
        answers = []
        for _ in range(40):
            with httpx.Client(base_url=server.base, timeout=10) as c:
                answers.append(c.post("/v1/recommendations", json=family).json()["ruleset"]["version"])
        assert set(answers) == {new}
    finally:
        server.stop()


def test_sighup_with_a_broken_pack_is_refused_and_no_worker_crashes(tmp_path):
    pack = copy_pack(DEFAULT_PACK, tmp_path / "pack")
    server = Server(pack, workers=2)
    try:
        assert _wait_for(lambda: len(_workers(server)) == 2)
        workers = _workers(server)
        (first,) = set(_versions(server))
        (pack / "behov.yaml").write_text("needs: [\n", encoding="utf-8")  # broken YAML
        os.kill(server.proc.pid, signal.SIGHUP)
        assert _wait_for(lambda: '"trigger":"SIGHUP","ok":false' in server.stderr()), server.stderr()[-2000:]
        assert "behov.yaml:1: YAML-fel" in server.stderr() or "behov.yaml:2: YAML-fel" in server.stderr()
        time.sleep(2.5)  # more than two polls: no worker may pick anything up
        assert set(_versions(server)) == {first}
        assert _workers(server) == workers  # same processes: nothing restarted or crashed
        assert "Traceback" not in server.stderr() and "died" not in server.stderr()

        # fixed and changed: the next SIGHUP switches both workers
        (pack / "behov.yaml").write_text((DEFAULT_PACK / "behov.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        bump_edition(pack, "2099.1")
        os.kill(server.proc.pid, signal.SIGHUP)
        assert _wait_for(lambda: all(v.startswith("2099.1+") for v in _versions(server, 8)), 10), server.stderr()[-2000:]
        assert _workers(server) == workers
    finally:
        server.stop()


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def _closed_by_server(sock: socket.socket, trickle: bool, within: float) -> bool:
    deadline = time.monotonic() + within
    sock.settimeout(0.2)
    sent = 0
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    while time.monotonic() < deadline:
        try:
            if trickle:
                sock.send(head[sent % len(head):sent % len(head) + 1])
                sent += 1
            if sock.recv(1024) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def test_slow_and_idle_clients_are_timed_out_and_the_cap_answers_503(tmp_path):
    pack = copy_pack(MINI, tmp_path / "pack")
    server = Server(pack, workers=1, env={"FORALDRASTOD_HEADER_TIMEOUT": "1.5"})
    try:
        idle = _connect(server.port)
        assert _closed_by_server(idle, trickle=False, within=5)
        slow = _connect(server.port)
        started = time.monotonic()
        assert _closed_by_server(slow, trickle=True, within=6)
        assert time.monotonic() - started < 4
        # the file limit is raised to the hard limit in the worker
        limits = open(f"/proc/{server.proc.pid}/limits").read()
        line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
        soft, hard = line.split()[3:5]
        assert soft == hard
    finally:
        server.stop()

    pack2 = copy_pack(MINI, tmp_path / "pack2")
    capped = Server(pack2, workers=1, env={"FORALDRASTOD_HEADER_TIMEOUT": "30"}, args=["--limit-concurrency", "20"])
    try:
        held = [_connect(capped.port) for _ in range(25)]
        time.sleep(0.3)
        r = httpx.get(capped.base + "/healthz", timeout=5)
        assert r.status_code == 503
        for s in held:
            s.close()
        assert _wait_for(lambda: httpx.get(capped.base + "/healthz", timeout=5).status_code == 200, 10)
    finally:
        capped.stop()
