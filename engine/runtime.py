"""The engine as callers use it: a loaded pack, its compiled executor and a bounded cache."""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Literal

from . import answer_json
from .decision import build_decision
from .executor import DurableExecutor
from .loader import Pack, load_pack
from .models import Decision, Family, NormalizedFamily
from .reference import ReferenceEvaluator

Evaluator = Literal["durable", "reference"]


class Engine:
    """Decides for families with one pack. Thread-safe. `close()` frees the C rulesets."""

    def __init__(self, pack: Pack, evaluator: Evaluator = "durable", cache_size: int = 4096):
        self.pack = pack
        self.evaluator_name = evaluator
        self.evaluator = DurableExecutor(pack) if evaluator == "durable" else ReferenceEvaluator(pack)
        self._cache_size = cache_size
        self._cache: dict[tuple, Decision] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def load(cls, directory: str | Path | None = None, **kwargs) -> Engine:
        return cls(load_pack(directory), **kwargs)

    @property
    def version(self) -> str:
        return self.pack.version

    def decide_normalized(self, family: NormalizedFamily) -> Decision:
        if not self._cache_size:
            return build_decision(self.pack, family, self.evaluator.matching_rule_ids(family))
        key = family.cache_key()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        decision = build_decision(self.pack, family, self.evaluator.matching_rule_ids(family))
        with self._cache_lock:
            if len(self._cache) >= self._cache_size:
                self._cache.pop(next(iter(self._cache)))  # oldest first: bounded FIFO
            self._cache[key] = decision
        return decision

    def try_decide_normalized(self, family: NormalizedFamily) -> Decision | None:
        """The decision if the C core is free this instant, else None at once (never waits for
        another decision or a reload's shard registration). Bypasses the Engine's own cache."""
        attempt = getattr(self.evaluator, "try_matching_rule_ids", None)
        fired = attempt(family) if attempt is not None else self.evaluator.matching_rule_ids(family)
        return None if fired is None else build_decision(self.pack, family, fired)

    def decide(self, family: Family, today: dt.date | None = None) -> Decision:
        """Raises loader.FamilyInvalid for an unknown kommun or need code."""
        return self.decide_normalized(self.pack.normalize(family, today))

    def close(self) -> None:
        self.evaluator.close()
        self._cache.clear()


def decision_body(decision: Decision) -> dict:
    """The HTTP response body (CONTRACT.md); `recommend --json` prints exactly this."""
    return decision.model_dump(mode="json")


def decision_json(decision: Decision) -> bytes:
    """`decision_body` as the bytes the service sends: orjson.dumps(decision_body(decision)), faster."""
    return answer_json.decision_json(decision)
