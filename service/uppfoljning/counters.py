"""Per-worker batching of the counters: a registration is a few dict increments under a lock.

A background thread (started on the first registration, one per worker process) upserts what has
gathered at least every FLUSH_SECONDS (well within the 5 s the issue allows), in one transaction
per batch, with `INSERT … ON CONFLICT (cell) DO UPDATE SET antal = antal + excluded.antal` on
SQLite and PostgreSQL: correct with any number of workers and servers on one database, because
the database adds, nobody reads-then-writes. Rows are written in key order, so two workers'
transactions never wait on each other in opposite orders. The app's shutdown (SIGTERM) flushes
what is left.

A batch that fails (the database is down) is merged back and tried again; nothing is
half-written, because the batch is one transaction. While the database cannot be reached the
worker refuses new registrations (503) instead of gathering them; the thread pings it each
interval and accepts again when it answers.
"""
from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from service.core.logs import log_event
from service.workspace import db

from .cells import Registration
from .models import UppfBedomning, UppfCell, UppfSkydd

FLUSH_SECONDS = 1.0
FLUSH_ENV = "FORALDRASTOD_UPPFOLJNING_FLUSH_S"  # for tests: a long interval leaves only the shutdown flush
CELL_KEYS = ("period", "kommunkod", "aldersband", "behov", "niva", "insats_id", "utfall")
ASSESSMENT_KEYS = ("period", "kommunkod", "aldersband")


def _insert_for(url: str):
    return postgresql.insert if url.startswith("postgresql") else sqlite.insert


def upsert(conn, url: str, model, keys: tuple[str, ...], counts: Iterable[tuple[tuple, int]]) -> int:
    """Add `counts` ({key tuple: n}) to `model`'s counters in one statement; rows in key order."""
    rows = [dict(zip(keys, key), antal=n) for key, n in sorted(counts)]
    if not rows:
        return 0
    stmt = _insert_for(url)(model)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={"antal": model.__table__.c.antal + stmt.excluded.antal})
    conn.execute(stmt, rows)
    return len(rows)


class Counters:
    def __init__(self, url: str | None = None, interval: float = FLUSH_SECONDS):
        self.url = url or db.database_url()
        self.interval = float(os.environ.get(FLUSH_ENV) or interval)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._cells: Counter = Counter()
        self._assessments: Counter = Counter()
        self._safeguarding: Counter = Counter()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.healthy: bool | None = None  # None: not tried yet
        self.flushed_batches = 0

    # ------------------------------------------------------------------ the request path
    def add(self, reg: Registration) -> None:
        """Count one assessment: dict increments only (the database is written by the thread)."""
        with self._lock:
            if reg.safeguarding:
                self._safeguarding[(reg.period,)] += 1
            else:
                for cell in reg.cells:
                    self._cells[cell] += 1
                if reg.assessment is not None:
                    self._assessments[reg.assessment] += 1
        if self._thread is None:
            self.start()

    def pending(self) -> int:
        with self._lock:
            return sum(self._assessments.values()) + sum(self._safeguarding.values())

    # ------------------------------------------------------------------ the database
    def ping(self) -> bool:
        try:
            with db.make_engine(self.url).connect() as conn:
                conn.execute(select(UppfSkydd.period).limit(1))
            self.healthy = True
        except Exception:  # noqa: BLE001 - any failure means: not available
            self.healthy = False
        return self.healthy

    def flush(self) -> bool:
        """Write what has gathered, in one transaction. False (and everything kept) on failure."""
        with self._flush_lock:
            with self._lock:
                cells, self._cells = self._cells, Counter()
                assessments, self._assessments = self._assessments, Counter()
                safeguarding, self._safeguarding = self._safeguarding, Counter()
            if not (cells or assessments or safeguarding):
                return True
            try:
                with db.make_engine(self.url).begin() as conn:
                    upsert(conn, self.url, UppfCell, CELL_KEYS, cells.items())
                    upsert(conn, self.url, UppfBedomning, ASSESSMENT_KEYS, assessments.items())
                    upsert(conn, self.url, UppfSkydd, ("period",), safeguarding.items())
            except Exception as exc:  # noqa: BLE001 - keep the batch, report, retry later
                with self._lock:
                    self._cells.update(cells)
                    self._assessments.update(assessments)
                    self._safeguarding.update(safeguarding)
                if self.healthy is not False:
                    log_event("uppfoljning", ok=False, limit_key="flush", errors=[type(exc).__name__])
                self.healthy = False
                return False
            self.healthy = True
            self.flushed_batches += 1
            return True

    # ------------------------------------------------------------------ the thread
    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="uppfoljning-flush", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.pending():
                self.flush()
            elif self.healthy is False:
                self.ping()

    def stop(self, attempts: int = 3) -> bool:
        """Stop the thread and flush what is left (the app's shutdown). False when counts were lost."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for i in range(attempts):
            if self.flush():
                return True
            time.sleep(0.2 * (i + 1))
        lost = self.pending()
        log_event("uppfoljning", ok=False, limit_key="stop", errors=[f"{lost} bedömningar kunde inte sparas"])
        return False
