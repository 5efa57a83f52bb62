"""The body deadline of service/limits.py (BodyLimit): a client that stops sending its body gets
408 once the deadline passes, whether it declared a Content-Length or not; a prompt body passes."""
from __future__ import annotations

import asyncio
import concurrent.futures
import time

import pytest

from service.core.limits import BodyLimit


async def _echo(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def _run(headers, chunks, stall: bool):
    sent: list[dict] = []

    async def receive():
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks) or stall}
        await asyncio.sleep(30)  # the client went quiet
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/recommendations", "headers": headers}
    started = time.monotonic()
    # a loop of its own in a thread: the run's browser (Playwright's sync API) keeps one running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, asyncio.wait_for(BodyLimit(_echo, body_timeout=0.3)(scope, receive, send), 10)).result()
    return sent[0]["status"], time.monotonic() - started, sent


@pytest.mark.parametrize("declared", [True, False])
def test_a_stalled_body_is_408_after_the_deadline(declared):
    headers = [(b"content-length", b"100")] if declared else []
    status, took, _ = _run(headers, [b"{"], stall=True)
    assert status == 408 and 0.25 < took < 3


@pytest.mark.parametrize("declared", [True, False])
def test_a_prompt_body_passes(declared):
    headers = [(b"content-length", b"4")] if declared else []
    status, took, sent = _run(headers, [b"{}", b"{}"], stall=False)
    assert status == 200 and sent[1]["body"] == b"{}{}" and took < 1
