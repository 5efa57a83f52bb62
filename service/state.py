"""The engine currently serving, and how it is replaced (admin reload, SIGHUP).

A reload loads and compiles the whole pack first; only a complete engine replaces the old one,
which is then closed (its C rulesets freed). A decision that meets the closed engine retries
with the current one. Serialised answers are cached per engine, so a reload drops them too.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from engine import CompileError, Engine, EngineClosed, Family, PackInvalid, decision_body
from engine.loader import DEFAULT_PACK

from .logs import log_event

BODY_CACHE_SIZE = 4096  # the service's only decision cache: engines are loaded with cache_size=0


def rules_dir() -> Path:
    return Path(os.environ.get("FORALDRASTOD_RULES") or DEFAULT_PACK)


class ReloadFailed(Exception):
    """The new pack is invalid; the old one keeps serving. `errors` are `file:line: message`."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Serving:
    """One engine with the answers and catalogues already serialised for it."""

    engine: Engine
    bodies: dict[tuple, bytes] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)

    def body_for(self, family: Family, today: dt.date) -> bytes:
        """The exact 200 body for a family. Raises FamilyInvalid, EngineClosed."""
        normalized = self.engine.pack.normalize(family, today)
        key = normalized.cache_key()
        body = self.bodies.get(key)
        if body is None:
            body = orjson.dumps(decision_body(self.engine.decide_normalized(normalized)))
            if len(self.bodies) >= BODY_CACHE_SIZE:
                try:
                    self.bodies.pop(next(iter(self.bodies)))
                except (StopIteration, KeyError, RuntimeError):
                    pass
            self.bodies[key] = body
        return body

    def document(self, name: str, build) -> Any:
        """A catalogue (needs, rules, HSDS …) built once per engine."""
        doc = self.documents.get(name)
        if doc is None:
            doc = self.documents[name] = build(self.engine.pack)
        return doc


def _remember_good(engine: Engine) -> None:
    """With several workers, keep a copy of the last pack that loaded, so a worker that uvicorn
    restarts (it restarts all workers on SIGHUP) while the pack on disk is broken serves the
    last good pack instead of failing. FORALDRASTOD_RULES_LAST_GOOD is set by `serve`."""
    base = os.environ.get("FORALDRASTOD_RULES_LAST_GOOD")
    if not base:
        return
    import shutil
    import tempfile

    target = Path(base) / engine.version
    if not target.exists():
        tmp = Path(tempfile.mkdtemp(dir=base))
        shutil.copytree(engine.pack.directory, tmp / "pack")
        try:
            (tmp / "pack").rename(target)
        except OSError:
            pass  # another worker made it first
        shutil.rmtree(tmp, ignore_errors=True)
    link = Path(base) / f".current-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(target)
    os.replace(link, Path(base) / "current")


def _load_serving_engine(directory: Path) -> Engine:
    try:
        engine = Engine.load(directory, cache_size=0)
    except (PackInvalid, CompileError) as exc:
        base = os.environ.get("FORALDRASTOD_RULES_LAST_GOOD")
        good = Path(base) / "current" if base else None
        if good is None or not good.exists():
            raise
        errors = [str(e) for e in getattr(exc, "errors", [])] or list(getattr(exc, "problems", []))
        log_event("start", ok=False, errors=errors[:20], fallback="senaste giltiga regelpaket")
        return Engine.load(good.resolve(), cache_size=0)
    _remember_good(engine)
    return engine


class EngineState:
    def __init__(self, directory: str | Path | None = None, engine: Engine | None = None):
        self.directory = Path(directory) if directory else rules_dir()
        self.serving = Serving(engine or _load_serving_engine(self.directory))
        self._reload_lock = threading.Lock()
        self.reloads = 0

    @property
    def engine(self) -> Engine:
        return self.serving.engine

    def decide_body(self, family: Family, today: dt.date | None = None) -> bytes:
        day = today or dt.date.today()
        for _ in range(5):
            serving = self.serving
            try:
                return serving.body_for(family, day)
            except EngineClosed:
                continue  # swapped under us: ask the current engine
        return self.serving.body_for(family, day)

    def reload(self) -> tuple[dict, dict]:
        """Load, compile and swap in the pack from `directory`. Returns (old, new) ruleset info.
        Raises ReloadFailed and keeps the old engine if the pack is invalid."""
        with self._reload_lock:
            old = self.serving
            try:
                new_engine = Engine.load(self.directory, cache_size=0)
            except PackInvalid as exc:
                raise ReloadFailed([str(e) for e in exc.errors]) from None
            except CompileError as exc:
                raise ReloadFailed([f"regler: {p}" for p in exc.problems]) from None
            self.serving = Serving(new_engine)
            old.engine.close()
            _remember_good(new_engine)
            self.reloads += 1
            return _info(old.engine), _info(new_engine)

    def reload_logged(self, trigger: str) -> bool:
        try:
            old, new = self.reload()
        except ReloadFailed as exc:
            log_event("reload", trigger=trigger, ok=False, errors=exc.errors[:20])
            return False
        except Exception as exc:  # never let a signal handler take the process down
            log_event("reload", trigger=trigger, ok=False, errors=[type(exc).__name__])
            return False
        log_event("reload", trigger=trigger, ok=True, previous=old, ruleset=new)
        return True

    def close(self) -> None:
        self.serving.engine.close()


def _info(engine: Engine) -> dict:
    return {"name": engine.pack.name, "version": engine.version}
