"""A CDS Hooks JWT is accepted once by the whole server, not once per worker (issue 18, item 14):
a real `foraldrastod serve --workers 2`, and the same token sent so that each worker sees it.

Which worker takes a connection is the kernel's choice, so the test makes it certain: while one
worker is stopped (SIGSTOP) only the other can accept. The token is accepted by worker A, then
sent with A stopped (only B can answer) and with both running; every later answer is 401.
"""
from __future__ import annotations

import os
import signal
import time
import uuid

import httpx

from tests.cds_support import Signer, issuers_file
from tests.http_support import DEFAULT_PACK, Server

PUBLIC = "https://stod.example.se"
DISCOVERY = "/cds-services"


def _workers(server: Server) -> list[int]:
    out = []
    for pid in server.children():
        try:
            if b"spawn_main" in open(f"/proc/{pid}/cmdline", "rb").read():
                out.append(pid)
        except OSError:
            pass
    return sorted(out)


def _wait_for(pred, timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def _call(server: Server, token: str) -> int:
    # a new connection each time: a kept-alive one would stay with the worker that accepted it
    with httpx.Client(base_url=server.base, timeout=10) as c:
        return c.get(DISCOVERY, headers={"Authorization": f"Bearer {token}"}).status_code


def _only(server: Server, running: int, stopped: int, token: str) -> int:
    """The answer to `token` while `stopped` cannot accept: `running` takes the connection."""
    os.kill(stopped, signal.SIGSTOP)
    try:
        return _call(server, token)
    finally:
        os.kill(stopped, signal.SIGCONT)


def test_a_replayed_token_is_refused_by_every_worker(tmp_path):
    signer = Signer(iss="https://journal.regionorebrolan.example")
    issuers = issuers_file(tmp_path / "issuers.json", {"iss": signer.iss, "jwks": signer.jwks})
    server = Server(DEFAULT_PACK, workers=2,
                    env={"FORALDRASTOD_PUBLIC_URL": PUBLIC, "FORALDRASTOD_CDS_ISSUERS": issuers})
    try:
        assert _wait_for(lambda: len(_workers(server)) == 2)
        a, b = _workers(server)
        for first, second in ((a, b), (b, a)):
            token = signer.token(PUBLIC + DISCOVERY, jti=str(uuid.uuid4()))
            assert _only(server, first, second, token) == 200  # `first` accepts it
            assert _only(server, second, first, token) == 401  # `second` has never seen it itself
            assert _only(server, first, second, token) == 401
            assert [_call(server, token) for _ in range(10)] == [401] * 10
        # a fresh token still passes on either worker: the shared memory refuses only replays
        assert _only(server, a, b, signer.token(PUBLIC + DISCOVERY)) == 200
        assert _only(server, b, a, signer.token(PUBLIC + DISCOVERY)) == 200
        assert _workers(server) == [a, b]  # nothing was restarted while a worker was stopped
    finally:
        log = server.stop()
    assert "Traceback" not in log


def test_the_shared_memory_forgets_a_jti_after_its_expiry_and_stays_bounded(tmp_path):
    import time as _time

    from service.integrations.cds_auth import LEEWAY, SharedReplayCache

    one, other = SharedReplayCache(tmp_path / "jti.sqlite"), SharedReplayCache(tmp_path / "jti.sqlite")
    now = _time.time()
    assert one.add("iss\0a", now + 300) is True
    assert other.add("iss\0a", now + 300) is False  # another process's connection sees it
    assert one.add("iss\0old", now - LEEWAY - 1) is True  # already past exp + leeway
    assert other.add("iss\0old", now + 300) is True  # so it may be used again (a new token)
    assert other.add("iss\0old", now + 300) is False
    small = SharedReplayCache(tmp_path / "small.sqlite", limit=20)
    small.PURGE_EVERY = 5
    for i in range(100):
        assert small.add(f"iss\0{i}", now + 300) is True
    (count,) = small._db.execute("SELECT count(*) FROM jti").fetchone()
    assert count <= 20 + 5  # the limit, plus what arrives between two purges
