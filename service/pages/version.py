"""The served version as people read it (issue 18 item 15): "version 2, publicerad 4 december
2026" when the pack comes from the database (its number and publication date), "utgåva 2024.1,
filerna från 14 mars 2026" when it comes from a directory (the edition and the newest file's
date). The technical string (name, edition + hash) stays beside it for support, in a title.

The publication date comes from a lookup that the composition root gives the app
(`app.state.version_published`, a function of the version number); pages never import the
workspace. Worked out once per served pack.
"""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request

from engine import Pack

from service.pages.answer import swedish_date

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_cache: dict[tuple[str, str, str], dict[str, str]] = {}
_lock = threading.Lock()


def _files_date(pack: Pack) -> dt.date | None:
    directory = getattr(pack, "directory", None)
    if directory is None:
        return None
    try:
        stamps = [p.stat().st_mtime for p in directory.rglob("*") if p.is_file()]
    except OSError:
        return None
    return dt.datetime.fromtimestamp(max(stamps)).date() if stamps else None


def _describe(token: str, pack: Pack, published: Any) -> dict[str, str]:
    technical = f"{pack.name} {pack.version}"
    number, _, rest = token.partition(":")
    if rest and number.isdigit():
        when = None
        if published is not None:
            try:
                when = published(int(number))
            except Exception:  # noqa: BLE001 - the page shows the number without the date
                when = None
        if isinstance(when, dt.datetime) and when.tzinfo is not None:
            when = when.astimezone(STOCKHOLM)  # the day as people in the län saw it
        text = f"version {number}" + (f", publicerad {swedish_date(when)}" if when else "")
        return {"text": text, "technical": technical, "date": swedish_date(when) if when else ""}
    day = _files_date(pack)
    text = f"utgåva {pack.meta.edition}" + (f", filerna från {swedish_date(day)}" if day else "")
    return {"text": text, "technical": technical, "date": swedish_date(day) if day else ""}


def served_version(request: Request, pack: Pack) -> dict[str, str]:
    """{"text": the words for people, "technical": name + version for support, "date": the
    version's date in words ("" when not known)}."""
    state = getattr(request.app.state, "engine_state", None)
    serving = getattr(state, "serving", None)
    token = str(getattr(serving, "token", "") or "")
    if serving is not None and getattr(serving.engine, "pack", None) is not pack:
        token = ""  # a pack other than the served one (tests that give the page a pack)
    key = (token, pack.version, str(getattr(pack, "directory", "")))
    with _lock:
        found = _cache.get(key)
    if found is None:
        found = _describe(token, pack, getattr(request.app.state, "version_published", None))
        with _lock:
            if len(_cache) > 16:
                _cache.clear()
            _cache[key] = found
    return found
