"""A decision as the JSON bytes of its HTTP body, fast.

The bytes are exactly `orjson.dumps(decision.model_dump(mode="json"))` (tests/test_decision_golden.py
checks it). Recommendations and notices are shared between answers (engine/decision.py builds
each once per pack and the answer models are frozen), so each one's JSON is made once too and
remembered by identity for as long as the object lives (a weak reference drops it after).
"""
from __future__ import annotations

import weakref

import orjson
from pydantic import BaseModel

from .models import Decision

# the body is assembled in this order; a new field of Decision must be added below
_FIELDS = ("level", "recommendations", "notices", "ruleset", "programs_in_lan")
if tuple(Decision.model_fields) != _FIELDS:
    raise RuntimeError(f"engine/answer_json.py assembles {_FIELDS}; Decision has {tuple(Decision.model_fields)}")

_fragments: dict[int, tuple[weakref.ref, bytes]] = {}  # id(part) -> (part, its JSON)


def _forget(key: int) -> None:
    _fragments.pop(key, None)


def _fragment(part: BaseModel) -> bytes:
    """The JSON of a frozen answer part, made once per object."""
    key = id(part)
    entry = _fragments.get(key)
    if entry is not None and entry[0]() is part:
        return entry[1]
    data = part.__pydantic_serializer__.to_json(part)
    _fragments[key] = (weakref.ref(part, lambda _, key=key: _forget(key)), data)
    return data


def decision_json(decision: Decision) -> bytes:
    return b"".join((
        b'{"level":', orjson.dumps(decision.level.value),
        b',"recommendations":[', b",".join([_fragment(r) for r in decision.recommendations]),
        b'],"notices":[', b",".join([_fragment(n) for n in decision.notices]),
        b'],"ruleset":', _fragment(decision.ruleset),
        b',"programs_in_lan":[', b",".join([_fragment(p) for p in decision.programs_in_lan]),
        b"]}",
    ))
