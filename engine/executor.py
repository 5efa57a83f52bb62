"""Run compiled rulesets in durable_rules' C core, safely (see ../shared/durable-rules.md).

* Facts, never events: `assert_fact` fires every matching rule; `post` would fire only one.
* A private Host whose background timer threads never start: they walk freed sessions and
  crash under concurrency.
* One process-wide lock around every call into the C core (it never releases the GIL, so the
  lock costs no parallelism).
* A fresh session id per decision (a process-wide counter), at most one live session,
  deleted in `finally`.
* The fired rules are read straight from the C core's action queue (start_action_for_state /
  complete_and_start_action). No Python code runs inside an action, so nothing can be swallowed
  into the session state and the session state is never re-asserted as a fact. Any error the
  C core reports aborts the decision with EngineError: never a partial answer.
"""
from __future__ import annotations

import ctypes
import itertools
import json
import os
import threading

import durable_rules_engine as _core
from durable.engine import Host, Promise

from .compiler import CATCH_ALL, CompiledPack, compile_pack, fact_of
from .loader import Pack
from .models import NormalizedFamily

ENGINE_LOCK = threading.Lock()
_prefixes = itertools.count(1)
_session_ids = itertools.count(1)  # cheaper than uuid4 (2 % of a decision), as unique here

# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_allocator_set = False


def steady_allocator() -> bool:
    """Keep the C core's per-decision memory on the heap, once per process (glibc only).

    Every assert_fact allocates ~8 KB of session state per rule of the shard (state.c,
    betaStateNode), ~370 KB for a shard of 45 rules, and frees it at delete_state. With glibc's
    dynamic thresholds that block sometimes straddles the heap top, which is then trimmed and
    grown again on every decision: measured, Örebro matching p99 298 µs and mean 58 µs against
    a p50 of 34 µs. A fixed 1 MB mmap threshold and 4 MB trim threshold remove that tail (p99
    57 µs, mean 34 µs). An operator's own MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ win."""
    global _allocator_set
    if _allocator_set or os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        return False
    _allocator_set = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20) and libc.mallopt(_M_TRIM_THRESHOLD, 4 << 20))
    except (OSError, AttributeError):  # not glibc
        return False


class EngineError(RuntimeError):
    """The rules engine failed; the decision was not made."""


class EngineClosed(EngineError):
    """The executor was replaced by a reload; ask the current one."""


class PrivateHost(Host):
    """durable_rules Host without the background dispatch/timer threads."""

    def _run(self) -> None:  # the stock Host starts two timer threads here
        return None

    def get_action(self, action_name: str):
        # Registration needs a callable per rule; decisions never call it (see module doc).
        def _never_called(c) -> None:
            raise EngineError("durable_rules action called outside the executor")

        return _never_called


def _never_called(c) -> None:
    raise EngineError("durable_rules action called outside the executor")


# One action object shared by every rule. Given a Promise, durable's Ruleset stores it as is;
# given a name, it wraps a new Promise (a reference cycle: promise.root is the promise) per rule,
# which for a national pack meant ~12,000 cyclic objects per load, kept until a full collection.
_SHARED_ACTION = Promise(_never_called)


def _fired_name(message: str) -> str:
    # message is '{"<rule name>":{"m":{...}}}'; rule names are [a-z0-9_~-], never escaped
    return message[2 : message.index('"', 2)]


SETTLE_TRIES = 8  # after a fault, attempts to finish the actions the core still holds


class DurableExecutor:
    """Decides with durable_rules. One instance per loaded pack; `close()` frees its C memory."""

    def __init__(self, pack: Pack, compiled: CompiledPack | None = None):
        steady_allocator()
        self.pack = pack
        self.prefix = f"fs{next(_prefixes)}"
        own = compiled is None
        self.compiled = compiled or compile_pack(pack, self.prefix)
        self._host = PrivateHost()
        self._handles: list[int] = []
        self._names: list[dict[str, tuple[str, ...]]] = []
        self._closed = False
        self.leaked_sessions = 0
        try:
            for shard in self.compiled.shards:
                # register_rulesets mutates definitions (pops 'run'); give it a copy
                definition = {k: {**v, "run": _SHARED_ACTION} for k, v in shard.definition.items()}
                # The lock is held for one shard at a time: a reload of a large pack (seconds)
                # never makes a decision in another executor wait longer than one shard.
                with ENGINE_LOCK:
                    self._host.register_rulesets({shard.name: definition})
                    ruleset = self._host.get_ruleset(shard.name)
                    self._handles.append(ruleset._handle)
                    ruleset._definition = None  # a second Python copy of the shard; never read again
                self._names.append(shard.engine_rules)
                if own:  # the C core has the shard now; the Python copy is never read again
                    shard.definition = {}
        except BaseException:
            self._free()
            raise

    def _fire_all(self, handle: int, fact_json: str, names: dict[str, tuple[str, ...]], out: set[str]) -> None:
        result = _core.assert_fact(handle, fact_json)
        if result[0] != 0:  # 1: not handled (impossible with the catch-all), 2: observed twice
            raise EngineError(f"durable_rules assert_fact returned {result[0]}")
        state_handle = result[1]
        started = _core.start_action_for_state(handle, state_handle)
        message = started[1] if started else None
        while message:
            name = _fired_name(message)
            if name != CATCH_ALL:
                rule_ids = names.get(name)
                if rule_ids is None:
                    raise EngineError(f"okänd regel från motorn: {name}")
                out.update(rule_ids)
            message = _core.complete_and_start_action(handle, state_handle)

    def matching_rule_ids(self, family: NormalizedFamily) -> set[str]:
        fired = self.try_matching_rule_ids(family, wait=True)
        assert fired is not None
        return fired

    def try_matching_rule_ids(self, family: NormalizedFamily, wait: bool = False) -> set[str] | None:
        """As matching_rule_ids; with wait=False None at once when the C core is busy (another
        decision, or a reload registering a shard), so an event loop can decide inline when the
        core is free and hand the decision to a thread only when it is not."""
        fact = fact_of(family)
        shards = self.compiled.shards_for(family.kommun, family.age_months, family.expecting, family.needs)
        fired: set[str] = set()
        if not ENGINE_LOCK.acquire(wait):
            return None
        try:
            if self._closed:
                raise EngineClosed("regelpaketet har bytts ut")
            # one fresh sid per decision (unique in the process; each shard is its own ruleset
            # with its own sessions, and a decision's session is deleted before the lock is let go)
            sid = f"s{next(_session_ids)}"
            fact["sid"] = sid
            fact_json = json.dumps(fact)
            for index in shards:
                handle = self._handles[index]
                failure: BaseException | None = None
                try:
                    self._fire_all(handle, fact_json, self._names[index], fired)
                except _core.error as exc:
                    failure = exc
                    self._settle(handle)
                finally:
                    deleted = self._delete_session(handle, sid)
                if failure is not None:
                    raise EngineError(f"durable_rules: {failure}") from failure
                if not deleted:
                    raise EngineError("durable_rules: sessionen kunde inte tas bort")
        finally:
            ENGINE_LOCK.release()
        return fired

    def _settle(self, handle: int) -> None:
        """After a fault mid-decision, run to its end any action the core still holds for this
        ruleset (only this decision's session is live: we hold ENGINE_LOCK). A session whose
        action never ran must not be deleted: the delete frees an uninitialised pointer and
        aborts the process (durable-rules.md), as a fault right after `assert_fact` did in about
        1 of 12 processes."""
        for _ in range(SETTLE_TRIES):
            try:
                started = _core.start_action(handle)
                if not started:
                    return
                state_handle = started[2]
                while _core.complete_and_start_action(handle, state_handle):
                    pass
            except Exception:  # noqa: BLE001 - a further fault: try again, a bounded number of times
                continue

    def _delete_session(self, handle: int, sid: str) -> bool:
        """Delete the decision's session. False if that failed: the decision then fails too (the
        engine is in a state we did not foresee), but the delete is retried once, since a session
        left behind holds one of the ruleset's 1,024 session slots; leaked_sessions counts those
        that stay."""
        try:
            _core.delete_state(handle, sid)
            return True
        except Exception:  # noqa: BLE001 - _core.error or anything an injected fault raises
            pass
        try:
            _core.delete_state(handle, sid)
        except Exception:  # noqa: BLE001
            self.leaked_sessions += 1
        return False

    def _free(self) -> None:
        """Free every C ruleset, one lock hold per ruleset (decisions in other executors wait
        at most for one)."""
        with ENGINE_LOCK:
            self._closed = True
            handles, self._handles = self._handles, []
        for handle in handles:
            with ENGINE_LOCK:
                _core.delete_ruleset(handle)
        # The Host and its Ruleset objects refer to each other; break the cycle so that the old
        # pack is freed by reference counting, without waiting for (or escaping) the cyclic GC.
        self._host._ruleset_directory.clear()
        self._host._ruleset_list.clear()

    def close(self) -> None:
        """Free the C rulesets. A decision in progress holds the lock and finishes first; any
        later one sees `_closed` and raises EngineClosed."""
        if not self._closed:
            self._free()

    @property
    def shard_count(self) -> int:
        return len(self.compiled.shards)
