"""The kartläggning as the uppföljning needs it: täckt / gap / okänd per kommun, nivå and
åldersband, computed by engine/coverage.py (called, never copied) once per pack version and day.

For the national pack `compute_coverage` takes seconds, so the result is cached here (the report's
indicators and the pages share it) and `warm(pack)` computes it in a background thread when a
worker starts, so the first page is not the one that waits.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from engine.coverage import AGE_BANDS, LEVELS, CellStatus, compute_coverage
from engine.loader import Pack

STATUSES = tuple(CellStatus)


@dataclass(frozen=True)
class Summary:
    """counts[kommunkod][(nivå, band)] = {status value: n}; per_kommun[kommunkod] = {status value: n}."""

    counts: dict[str, dict[tuple[str, str], dict[str, int]]]
    per_kommun: dict[str, dict[str, int]]


_CACHE: dict[tuple, Summary] = {}
_LOCK = threading.Lock()
_BUSY: dict[tuple, threading.Event] = {}


def _key(pack: Pack, day: dt.date) -> tuple:
    return (pack.name, pack.version, day)


def _compute(pack: Pack, day: dt.date) -> Summary:
    matrix = compute_coverage(pack, day)
    counts: dict[str, dict[tuple[str, str], dict[str, int]]] = {}
    per_kommun: dict[str, dict[str, int]] = {}
    for code, _name in matrix.kommuner:
        counts[code] = {(lv.value, b.key): {s.value: 0 for s in STATUSES} for lv in LEVELS for b in AGE_BANDS}
        per_kommun[code] = {s.value: 0 for s in STATUSES}
    for cell in matrix.cells.values():
        per_kommun[cell.kommun][cell.status.value] += 1
        if cell.level is not None:
            counts[cell.kommun][(cell.level.value, cell.band)][cell.status.value] += 1
    return Summary(counts=counts, per_kommun=per_kommun)


def summary(pack: Pack, day: dt.date | None = None) -> Summary:
    """The cached summary; computed by the first caller (others wait for it, not compute again)."""
    day = day or dt.date.today()
    key = _key(pack, day)
    while True:
        with _LOCK:
            found = _CACHE.get(key)
            if found is not None:
                return found
            busy = _BUSY.get(key)
            if busy is None:
                busy = _BUSY[key] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            busy.wait()
            continue
        try:
            result = _compute(pack, day)
            with _LOCK:
                if len(_CACHE) >= 8:
                    _CACHE.clear()
                _CACHE[key] = result
            return result
        finally:
            with _LOCK:
                _BUSY.pop(key, None)
            busy.set()


def warm(pack: Pack) -> threading.Thread:
    """Compute today's summary for `pack` in a daemon thread (a worker's start)."""
    thread = threading.Thread(target=summary, args=(pack,), name="uppf-kartlaggning", daemon=True)
    thread.start()
    return thread


def by_level_band(s: Summary, kommun: str | None = None) -> dict[tuple[str, str], dict[str, int]]:
    """The counts per (nivå, band) for one kommun, or summed over every kommun (the län)."""
    codes = [kommun] if kommun else list(s.counts)
    out = {(lv.value, b.key): {st.value: 0 for st in STATUSES} for lv in LEVELS for b in AGE_BANDS}
    for code in codes:
        for key, c in s.counts.get(code, {}).items():
            for st, n in c.items():
                out[key][st] += n
    return out
