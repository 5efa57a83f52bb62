"""`foraldrastod serve` tells a person where to open it, with the host and port it really bound
(issue 18, item 18); the JSON log stays on stderr."""
from __future__ import annotations

import os
import select
import subprocess
import time

import httpx
import pytest

from service.core.runner import start_line
from tests.http_support import BIN, DEFAULT_PACK, ROOT, free_port


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_prints_where_to_open_it_once_the_port_is_bound(workers):
    port = free_port()
    proc = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--workers", str(workers)],
                            env={**os.environ, "FORALDRASTOD_RULES": str(DEFAULT_PACK)}, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no line on stdout within 60 s"
        line = proc.stdout.readline().decode()
        assert line == f"Öppna http://127.0.0.1:{port} i webbläsaren (Ctrl+C avslutar)\n"
        deadline = time.monotonic() + 30
        while True:  # the address printed is the one that answers
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_the_start_line_for_every_address_and_ipv6():
    assert start_line("0.0.0.0", 8080) == ("Öppna http://127.0.0.1:8080 i webbläsaren (Ctrl+C avslutar)"
                                           " – tjänsten svarar på alla nätverksadresser")
    assert start_line("::1", 8000).startswith("Öppna http://[::1]:8000 ")
    assert start_line("10.1.2.3", 9000).startswith("Öppna http://10.1.2.3:9000 ")
