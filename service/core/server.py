"""uvicorn's HTTP protocol, hardened for a service on the open network.

* TCP_NODELAY on every connection. With `--workers N` uvicorn hands the workers a listening
  socket that asyncio does not recognise as TCP, so Nagle's algorithm stays on and each
  keep-alive answer waits ~40 ms for the client's delayed ACK (uvicorn issue #3149).
* A header read timeout: a connection must deliver the complete request head within
  HEADER_TIMEOUT seconds of opening (or of the previous answer). uvicorn's keep-alive timer is
  cancelled by any byte, so a client trickling one byte a second (slowloris) was held forever.
* The file-descriptor limit is raised to the hard limit, and the connection cap is kept below
  it with headroom, so a flood of connections meets 503 answers (uvicorn's limit_concurrency)
  and closed sockets instead of "Too many open files".
"""
from __future__ import annotations

import os
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = float(os.environ.get("FORALDRASTOD_HEADER_TIMEOUT", "10"))
FD_HEADROOM = 256  # descriptors kept free for the pack, logs, the run dir and the database


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)


class HardenedH11Protocol(NoDelayH11Protocol):
    """NoDelayH11Protocol plus the header read timeout."""

    _head_timer = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        if HEADER_TIMEOUT > 0:
            self._head_timer = self.loop.call_later(HEADER_TIMEOUT, self._head_timeout)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.cycle is None or self.cycle.response_complete:
            # no request in progress: the head never arrived in time
            self.transport.close()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not None and self.cycle is not before:
            self._cancel_head_timer()  # a complete request head arrived

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm_head_timer()

    def connection_lost(self, exc) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)


def raise_fd_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard limit. Returns (soft, hard) after."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        if soft < target:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
                soft = target
            except (ValueError, OSError):
                pass
        return soft, hard
    except ImportError:  # not POSIX
        return 1024, 1024


def connection_cap(wanted: int, workers: int, soft_limit: int) -> int:
    """Connections per worker: what was asked for, but never so many that the worker (each
    process has its own descriptor limit) keeps fewer than FD_HEADROOM descriptors free."""
    return max(16, min(wanted, soft_limit - FD_HEADROOM))
