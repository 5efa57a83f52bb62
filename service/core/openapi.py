"""What /openapi.json says beyond FastAPI's own reading of the routes: the truths the server
checks against the served pack (issue 18, item 21): `kommun` is one of the pack's kommuner, need
codes are the pack's, and a family gives an age or `expecting: true`. Rebuilt when the pack changes.

A surface marks a schema in its part of the document with `"x-pack": "family" | "kommun" |
"insats"` (PACK_MARK); `pack_truths` fills each marked schema from the pack and drops the mark.
So the surfaces say which of their fields the pack governs without this module knowing them.

Imports `engine` only.
"""
from __future__ import annotations

import re
from typing import Any

from engine.models import MAX_AGE_MONTHS

_LETTER_VARIANTS = {"a": "aAåÅäÄ", "o": "oOöÖ", "e": "eEéÉ"}  # what normalize_name folds to them


def kommun_pattern(pack) -> str:
    """An ECMA-262 pattern for `kommun` that accepts only what the pack resolves: a kommunkod, or a
    name or alias in any case, with or without å ä ö (é), words apart by spaces or hyphens, with or
    without "kommun" after it (engine.loader.normalize_name). The service accepts a little more
    (other accents, whitespace around the value); everything the pattern allows it accepts."""
    def chars(ch: str) -> str:
        if ch == " ":
            return "[ -]+"
        if ch.isalpha():
            upper = ch.upper() if len(ch.upper()) == 1 else ""
            return "[" + "".join(dict.fromkeys(_LETTER_VARIANTS.get(ch, ch + upper))) + "]"
        return re.escape(ch)

    names = sorted({"".join(chars(c) for c in key) for key in pack._kommun_index})
    kommun = "".join(chars(c) for c in " kommun")
    return f"^(?:{'|'.join(sorted(pack.kommuner))}|(?:{'|'.join(names)})(?:{kommun})?)$"


PACK_MARK = "x-pack"


def family_truths(family: dict[str, Any], pack, pattern: str | None = None) -> None:
    """The object schema of a family (`Family` and the bodies that extend it): kommun pattern,
    need codes, and an age or `expecting: true`."""
    family["properties"]["kommun"]["pattern"] = pattern or kommun_pattern(pack)
    family["properties"]["needs"]["items"]["enum"] = sorted(pack.needs)
    family["anyOf"] = [
        {"required": ["age_months"], "properties": {"age_months": {"type": "integer", "minimum": 0,
                                                                   "maximum": MAX_AGE_MONTHS}}},
        {"required": ["expecting"], "properties": {"expecting": {"const": True}}},
    ]
    family["description"] = family.get("description", "") + (
        " Ange `age_months` (0–216) eller `expecting: true`; `kommun` är en kommun i "
        "regelpaketet (GET /v1/kommuner) och `needs` dess behovskoder (GET /v1/needs).")


def _marked(node: Any):
    """Every dict in `node` that carries PACK_MARK (iterative; the document is small)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if PACK_MARK in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def marked_truths(schema: dict[str, Any], pack, pattern: str) -> None:
    """Fill the schemas the surfaces marked with PACK_MARK (see the module docstring)."""
    for node in list(_marked(schema)):
        mark = node.pop(PACK_MARK)
        if mark == "family":
            family_truths(node, pack, pattern)
        elif mark == "kommun":
            node["pattern"] = pattern
        elif mark == "insats":
            node["enum"] = sorted(pack.insatser)
        else:
            raise ValueError(f"unknown {PACK_MARK} mark {mark!r}")


def pack_truths(schema: dict[str, Any], pack) -> None:
    """What the server checks against the pack, told in the document (issue 18, item 21): kommun
    is one of the pack's kommuner, need codes are the pack's, and a family gives an age or
    `expecting: true`."""
    components = schema["components"]["schemas"]
    pattern, needs = kommun_pattern(pack), sorted(pack.needs)
    family_truths(components["Family"], pack, pattern)
    context = components["CdsContext"]["properties"]
    context["kommun"]["anyOf"][0]["pattern"] = pattern
    context["needs"]["items"]["enum"] = needs
    marked_truths(schema, pack, pattern)
