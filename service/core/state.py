"""The engine a worker serves, and how it follows its PackSource (service/core/packsource.py).

Each worker polls `source.current()` about once a second (`watch`, started by the app's
lifespan). When the token changes it loads and compiles the new pack in a thread, never on the
event loop; only a complete engine replaces the old one, which is then closed (its C rulesets
freed, and the freed memory handed back to the system). A decision that meets the closed engine
retries with the current one. Serialised answers are cached per engine, so a switch drops them.

A reload (admin endpoint, SIGHUP) publishes the pack through the source, switches this worker at
once, and the other workers follow within a poll interval.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import datetime as dt
import gc
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import Engine, EngineClosed, Family, decision_json

from service.core import metrics, packsource
from service.core.logs import log_event
from service.core.packsource import DirectorySource, PackSource, ReloadFailed, source_from_env, validate_pack

__all__ = ["BODY_CACHE_SIZE", "EngineState", "ReloadFailed", "Serving"]

BODY_CACHE_SIZE = 4096  # the service's only decision cache: engines are loaded with cache_size=0
POLL_SECONDS = 1.0
RETRY_FAILED_SECONDS = 30.0  # a token that failed to load is tried again after this long


_LIBC: list = []


def _malloc_trim() -> None:
    """Give freed C memory back to the system (glibc keeps it otherwise, so RSS after a reload
    would stay at old + new engine)."""
    try:
        if not _LIBC:
            _LIBC.append(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"))
        _LIBC[0].malloc_trim(0)
    except (OSError, AttributeError):
        pass


_LOADING = [0]  # packs being loaded or validated in this process (quiet_gc), by any thread
_LOADING_LOCK = threading.Lock()


def loading() -> bool:
    """A pack is being loaded or validated here: decisions then go to a thread (see decide_body_async)."""
    return _LOADING[0] > 0


@contextlib.contextmanager
def quiet_gc():
    """Load a pack without the cyclic garbage collector. A pack of 3,000 rules creates millions
    of objects; with the collector on, its full collections (each scanning the whole heap)
    held the GIL for 300–600 ms at a time while a reload ran in a thread, so every request
    waited (measured: worst /healthz 2.1 s during reloads; 65–100 ms without). Afterwards the
    loaded objects are frozen (gc.freeze): they live until the next reload and are freed by
    reference counting, so the collector never needs to scan them."""
    was_enabled = gc.isenabled()
    interval = sys.getswitchinterval()
    gc.disable()
    sys.setswitchinterval(min(interval, 0.001))  # the loading thread hands the GIL on sooner
    with _LOADING_LOCK:
        _LOADING[0] += 1
    try:
        yield
    finally:
        with _LOADING_LOCK:
            _LOADING[0] -= 1
        sys.setswitchinterval(interval)
        gc.freeze()
        if was_enabled:
            gc.enable()


@dataclass
class Serving:
    """One engine with the answers and catalogues already serialised for it."""

    engine: Engine
    token: str = ""
    bodies: dict[tuple, bytes] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)

    def cached(self, family: Family, today: dt.date) -> tuple[tuple, bytes | None]:
        """(cache key, the cached 200 body or None). Raises FamilyInvalid."""
        normalized = self.engine.pack.normalize(family, today)
        key = normalized.cache_key()
        return (key, normalized), self.bodies.get(key)

    def compute(self, keyed: tuple) -> bytes:
        """Decide for a normalised family (from `cached`) and cache the body. Raises EngineClosed."""
        key, normalized = keyed
        return self._keep(key, decision_json(self.engine.decide_normalized(normalized)))

    def compute_now(self, keyed: tuple) -> bytes | None:
        """As compute, but None at once when the C core is busy (another thread's decision, a
        reload registering a shard): the caller then hands the decision to a thread."""
        key, normalized = keyed
        decision = self.engine.try_decide_normalized(normalized)
        return None if decision is None else self._keep(key, decision_json(decision))

    def _keep(self, key: tuple, body: bytes) -> bytes:
        if len(self.bodies) >= BODY_CACHE_SIZE:
            try:
                self.bodies.pop(next(iter(self.bodies)))
            except (StopIteration, KeyError, RuntimeError):
                pass
        self.bodies[key] = body
        return body

    def body_for(self, family: Family, today: dt.date) -> bytes:
        """The exact 200 body for a family. Raises FamilyInvalid, EngineClosed."""
        keyed, body = self.cached(family, today)
        return body if body is not None else self.compute(keyed)

    def document(self, name: str, build) -> Any:
        """A catalogue (needs, rules, HSDS …) built once per engine."""
        doc = self.documents.get(name)
        if doc is None:
            doc = self.documents[name] = build(self.engine.pack)
        return doc


class EngineState:
    def __init__(self, directory: str | Path | None = None, engine: Engine | None = None,
                 source: PackSource | None = None):
        self.source: PackSource = source or source_from_env(directory)
        token = self.source.current()
        if engine is None:
            with quiet_gc():
                engine = self._load(token)
        self.serving = Serving(engine, token)
        self._reload_lock = threading.Lock()
        self._failed: dict[str, float] = {}
        self.reloads = 0
        self.source_problem: dict | None = None  # set by watch() while the source cannot be read
        self._acknowledge(token)
        metrics.pack_switched(None, _info(engine))

    # ------------------------------------------------------------------ serving
    @property
    def engine(self) -> Engine:
        return self.serving.engine

    @property
    def directory(self) -> Path | None:
        return getattr(self.source, "directory", None)

    @property
    def ready(self) -> bool:
        return not getattr(self.serving.engine.evaluator, "_closed", False)

    def decide_body(self, family: Family, today: dt.date | None = None) -> bytes:
        day = today or dt.date.today()
        for _ in range(5):
            serving = self.serving
            try:
                return serving.body_for(family, day)
            except EngineClosed:
                continue  # swapped under us: ask the current engine
        return self.serving.body_for(family, day)

    async def decide_body_async(self, family: Family, today: dt.date | None = None) -> bytes:
        """As decide_body, for the event loop. A decision (~35 µs) is made inline when the C core
        is free: handing it to a thread cost more than the decision (issue 18, item 20; the core
        holds the GIL anyway, so a thread never ran it in parallel). Only when the core is busy
        (a CLI or admin decision in a thread) or a pack is being loaded does it go to a thread:
        the event loop never waits for the engine's lock, and while a load's thread competes for
        the GIL, the event loop and a decision thread together keep two shares of it (measured
        with bench/reload.py: inline decisions during reloads doubled the worst /healthz).
        Loads and compiles always run in a thread (switch_to) and the new engine is swapped in
        whole."""
        day = today or dt.date.today()
        for _ in range(5):
            serving = self.serving
            keyed, body = serving.cached(family, day)
            if body is not None:
                return body
            try:
                body = None if loading() else serving.compute_now(keyed)
                if body is not None:
                    return body
                return await asyncio.to_thread(serving.compute, keyed)
            except EngineClosed:
                continue
        return await asyncio.to_thread(self.decide_body, family, day)

    # ------------------------------------------------------------------ switching
    def _load(self, token: str) -> Engine:
        take = getattr(self.source, "take_validated", None)
        pack = take(token) if take is not None else None
        if pack is not None:
            return Engine(pack, cache_size=0)
        directory = self.source.materialize(token)
        if isinstance(self.source, DirectorySource) and self.source.run_dir is None:
            # raises ReloadFailed with file:line errors, never a traceback
            return Engine(validate_pack(directory), cache_size=0)
        return Engine.load(directory, cache_size=0)

    def _acknowledge(self, token: str) -> None:
        ack = getattr(self.source, "acknowledge", None)
        try:
            if ack is not None:
                ack(token)
            else:
                packsource.acknowledge(packsource.run_dir_from_env(), token)
        except OSError:
            pass

    def switch_to(self, token: str) -> tuple[dict, dict] | None:
        """Load the pack named by `token` and swap it in (call from a thread). None if this
        worker already serves it. Raises ReloadFailed and keeps the old engine on failure."""
        with self._reload_lock:
            old = self.serving
            if token == old.token:
                return None
            started = time.perf_counter()
            try:
                with quiet_gc():
                    engine = self._load(token)
            except ReloadFailed:
                raise
            except Exception as exc:  # noqa: BLE001 - the old pack must keep serving
                raise ReloadFailed([f"{token}: regelpaketet kunde inte läsas in ({type(exc).__name__})"]) from None
            before, after = _info(old.engine), _info(engine)
            self.serving = Serving(engine, token)
            old.engine.close()
            old.bodies.clear()
            old.documents.clear()
            del old
            _malloc_trim()
            self.reloads += 1
            self._acknowledge(token)
            metrics.pack_switched(before, after)
            metrics.observe_load(time.perf_counter() - started)
            return before, after

    def poll(self) -> bool:
        """One watcher step, in a thread: switch if the source names another pack. Never raises."""
        token = self.source.current()
        if token == self.serving.token:
            return False
        failed_at = self._failed.get(token)
        if failed_at is not None and time.monotonic() - failed_at < RETRY_FAILED_SECONDS:
            return False
        previous = _info(self.engine)
        try:
            result = self.switch_to(token)
        except ReloadFailed as exc:
            self._failed[token] = time.monotonic()
            metrics.reload_done(False)
            log_event("reload", limit_key=token, trigger="bevakning", ok=False, errors=exc.errors[:20])
            return False
        except Exception as exc:  # noqa: BLE001 - the watcher must survive anything
            # not the pack's fault (a locked database, a file system hiccup): try again at the
            # next poll; only a pack that does not load waits RETRY_FAILED_SECONDS
            log_event("reload", limit_key=token, trigger="bevakning", ok=False, errors=[type(exc).__name__])
            return False
        if result is not None:
            metrics.reload_done(True)
            log_event("reload", trigger="bevakning", ok=True, previous=previous, ruleset=result[1])
        return result is not None

    async def watch(self, interval: float = POLL_SECONDS) -> None:
        """Poll the source forever (a task in the app's lifespan). Reading the token is cheap;
        loading happens in a thread."""
        while True:
            await asyncio.sleep(interval)
            try:
                if self.source.current() != self.serving.token:
                    await asyncio.to_thread(self.poll)
                self.source_problem = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                problem = source_problem(self.source, exc)  # for /readyz: the latest error, since the first
                self.source_problem = {**problem, "sedan": (self.source_problem or problem)["sedan"]}
                log_event("bevakning", limit_key=type(exc).__name__, ok=False, errors=[type(exc).__name__])

    # ------------------------------------------------------------------ reloads
    def reload(self) -> tuple[dict, dict]:
        """Publish the pack anew (admin endpoint, SIGHUP) and switch this worker to it.
        Returns (old, new) ruleset info. Raises ReloadFailed and keeps the old engine."""
        previous = _info(self.engine)
        publish = getattr(self.source, "publish", None)
        try:
            with quiet_gc():  # validation loads the whole pack too
                token = publish() if publish is not None else self.source.current()
                result = self.switch_to(token)
        except Exception:
            metrics.reload_done(False)
            raise
        metrics.reload_done(True)
        return previous, (result[1] if result else _info(self.engine))

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

    def switched(self, token: str) -> tuple[int, int]:
        """(workers serving `token`, workers) from the acknowledgements; a worker `serve` started
        that has not acknowledged any pack yet counts as not switched."""
        workers = getattr(self.source, "workers", None)
        run_dir = packsource.run_dir_from_env()
        configured = packsource.configured_workers(run_dir) if run_dir is not None else 0
        if workers is not None:
            seen = workers()
        elif run_dir is not None:
            seen = packsource.live_workers(run_dir)
        else:
            return (1 if self.serving.token == token else 0), 1
        return sum(1 for t in seen.values() if t == token), max(len(seen), configured, 1)

    def close(self) -> None:
        self.serving.engine.close()


def source_problem(source, exc: Exception) -> dict:
    """What /readyz says while the pack source cannot be read (issue 21): decisions go on from
    the loaded pack, the newest publication cannot reach this worker."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    if hasattr(source, "url"):
        from sqlalchemy.engine import make_url

        where = f"databasen {make_url(source.url).render_as_string(hide_password=True)}"
    else:
        where = "regelpaketets källa"
    return {"fel": f"{where} går inte att läsa: {reason[0] if reason else type(exc).__name__}",
            "sedan": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def _info(engine: Engine) -> dict:
    return {"name": engine.pack.name, "version": engine.version}
