"""uvicorn's HTTP protocol with TCP_NODELAY on every connection.

With `--workers N` uvicorn hands the workers a listening socket that asyncio does not
recognise as TCP, so Nagle's algorithm stays on and each keep-alive answer waits ~40 ms for the
client's delayed ACK (uvicorn issue #3149). Setting TCP_NODELAY ourselves removes that wait.
"""
from __future__ import annotations

import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)
