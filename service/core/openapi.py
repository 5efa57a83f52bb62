"""What /openapi.json says beyond FastAPI's own reading of the routes: the truths the server
checks against the served pack (issue 18, item 21): `kommun` is one of the pack's kommuner, need
codes are the pack's, and a family gives an age or `expecting: true`. Rebuilt when the pack changes.

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


def pack_truths(schema: dict[str, Any], pack) -> None:
    """What the server checks against the pack, told in the document (issue 18, item 21): kommun
    is one of the pack's kommuner, need codes are the pack's, and a family gives an age or
    `expecting: true`."""
    components = schema["components"]["schemas"]
    pattern, needs = kommun_pattern(pack), sorted(pack.needs)
    family = components["Family"]
    family["properties"]["kommun"]["pattern"] = pattern
    family["properties"]["needs"]["items"]["enum"] = needs
    family["anyOf"] = [
        {"required": ["age_months"], "properties": {"age_months": {"type": "integer", "minimum": 0,
                                                                   "maximum": MAX_AGE_MONTHS}}},
        {"required": ["expecting"], "properties": {"expecting": {"const": True}}},
    ]
    family["description"] += (" Ange `age_months` (0–216) eller `expecting: true`; `kommun` är en kommun i "
                              "regelpaketet (GET /v1/kommuner) och `needs` dess behovskoder (GET /v1/needs).")
    context = components["CdsContext"]["properties"]
    context["kommun"]["anyOf"][0]["pattern"] = pattern
    context["needs"]["items"]["enum"] = needs
