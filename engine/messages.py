"""Swedish wording for validation errors, shared by the rule-pack loader and the HTTP API."""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

_TEMPLATES: dict[str, str] = {
    "missing": "fältet saknas",
    "extra_forbidden": "okänt fält (fältet finns inte i formatet)",
    "int_type": "ska vara ett heltal",
    "int_parsing": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
    "bool_type": "ska vara true eller false",
    "bool_parsing": "ska vara true eller false",
    "string_type": "ska vara text",
    "list_type": "ska vara en lista",
    "dict_type": "ska vara en mappning (nyckel: värde)",
    "model_type": "ska vara en mappning (nyckel: värde)",
    "model_attributes_type": "ska vara en mappning (nyckel: värde)",
    "date_type": "ska vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_parsing": "ska vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_from_datetime_parsing": "ska vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_from_datetime_inexact": "ska vara ett datum utan klockslag",
    "json_invalid": "ogiltig JSON",
    "frozen_set_type": "ska vara en lista",
}

_ENGLISH: dict[str, str] = {
    "missing": "field required",
    "extra_forbidden": "unknown field",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "json_invalid": "invalid JSON",
}


def _ctx(err: Mapping[str, Any], key: str) -> Any:
    return (err.get("ctx") or {}).get(key)


def swedish(err: Mapping[str, Any]) -> str:
    """One pydantic error dict in Swedish. Never includes the offending input value."""
    typ = err.get("type", "")
    if typ in _TEMPLATES:
        return _TEMPLATES[typ]
    if typ in ("greater_than_equal", "greater_than"):
        return f"ska vara minst {_ctx(err, 'ge') if _ctx(err, 'ge') is not None else _ctx(err, 'gt')}"
    if typ in ("less_than_equal", "less_than"):
        return f"får vara högst {_ctx(err, 'le') if _ctx(err, 'le') is not None else _ctx(err, 'lt')}"
    if typ in ("too_short", "string_too_short"):
        return "får inte vara tom"
    if typ in ("too_long", "string_too_long"):
        return f"är för lång (högst {_ctx(err, 'max_length')})"
    if typ == "string_pattern_mismatch":
        return "ogiltigt id: använd små bokstäver a–z, siffror, - och _"
    if typ == "enum":
        return f"ska vara en av: {_ctx(err, 'expected')}"
    if typ == "literal_error":
        return f"ska vara en av: {_ctx(err, 'expected')}"
    if typ in ("value_error", "assertion_error"):
        msg = str(err.get("msg", ""))
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"ogiltigt värde ({typ})"


def english(err: Mapping[str, Any]) -> str:
    typ = err.get("type", "")
    if typ in _ENGLISH:
        return _ENGLISH[typ]
    if typ in ("value_error", "assertion_error"):
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        return msg.split(" / ", 1)[1] if " / " in msg else "invalid value"
    if typ in ("greater_than_equal", "greater_than"):
        return f"must be at least {_ctx(err, 'ge') if _ctx(err, 'ge') is not None else _ctx(err, 'gt')}"
    if typ in ("less_than_equal", "less_than"):
        return f"must be at most {_ctx(err, 'le') if _ctx(err, 'le') is not None else _ctx(err, 'lt')}"
    # pydantic's own message, which for these types never contains the input
    return str(err.get("msg", "invalid value"))


def suggestion(word: str, candidates: Iterable[str]) -> str:
    """' – menade du 'abc'?' for a near miss, else ''."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" – menade du '{close[0]}'?" if close else ""
