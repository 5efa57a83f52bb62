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


# --------------------------------------------------------------------------- rule-pack errors
# A policy officer reads these: positions as "regel 3 (id …)", values quoted, suggestions.
LIST_ITEMS: dict[str, tuple[str, str | None]] = {
    "rules": ("regel", "id"),
    "insatser": ("insats", "id"),
    "needs": ("behov", "code"),
    "kommuner": ("kommun", "code"),
    "sources": ("källdokument", "id"),
    "availability": ("tillgångsuppgift", None),
    "entries": ("uppgift", None),
}

_DATE_PROBLEMS = {
    "month value is outside expected range": "månaden ska vara 1–12",
    "day value is outside expected range": "dagen finns inte i den månaden",
    "year": "året är ogiltigt",
}

_YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("mapping values are not allowed",
     "ett kolon (:) står där det inte får stå – sätt texten inom citattecken om den innehåller ': '"),
    ("could not find expected ':'", "kolon (:) saknas efter nyckeln"),
    ("found character '\\t' that cannot start any token",
     "tabbtecken får inte användas för indrag – använd mellanslag"),
    ("found a tab character", "tabbtecken får inte användas för indrag – använd mellanslag"),
    ("did not find expected key", "indraget stämmer inte: här väntades en nyckel (namn: värde)"),
    ("did not find expected '-' indicator", "indraget stämmer inte: här väntades en listrad (- …)"),
    ("expected <block end>", "indraget stämmer inte med raderna ovanför"),
    ("did not find expected node content", "ett värde saknas"),
    ("found unexpected end of stream", "citattecknet eller klammern stängs aldrig"),
    ("found unknown escape character", "okänd escape-sekvens (\\) inom dubbla citattecken"),
    ("did not find expected ',' or ']'", "listan inom [ ] stängs inte, eller ett komma saknas"),
    ("did not find expected ',' or '}'", "mappningen inom { } stängs inte, eller ett komma saknas"),
    ("found undefined alias", "okänt alias (*namn)"),
    ("found character that cannot start any token", "ett tecken som inte får inleda ett värde"),
    ("found unexpected ':'", "ett kolon (:) står där det inte får stå"),
    ("special characters are not allowed", "filen innehåller ett otillåtet kontrolltecken"),
    ("unacceptable character", "filen innehåller ett otillåtet kontrolltecken"),
    ("expected <document start>", "text efter filens slut: en rad utan indrag som inte är en nyckel (namn: värde)"),
    ("expected <document end>", "filen innehåller mer än ett dokument (---)"),
    ("expected alphabetic or numeric character", "ett alias eller ankare (* eller &) saknar namn"),
    ("expected a comment or a line break", "text efter ett värde på samma rad"),
    ("found duplicate anchor", "samma ankare (&namn) används två gånger"),
    ("found unexpected document", "filen innehåller mer än ett dokument (---)"),
)


def yaml_problem(problem: str | None) -> str:
    """PyYAML's English problem text as Swedish ('YAML-fel: …'); an unknown one as a plain Swedish line."""
    text = (problem or "").strip()
    for english_text, sv in _YAML_PROBLEMS:
        if english_text in text:
            return f"YAML-fel: {sv}"
    # libyaml's own wording is English and names its grammar; a person gets the line and this
    return "YAML-fel: filen går inte att läsa som YAML på den här raden"


def _quote(value: Any) -> str:
    text = str(value)
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def _enum_options(expected: str) -> list[str]:
    """"'universell', 'selektiv' or 'indikerad'" -> ['universell', 'selektiv', 'indikerad']."""
    import re

    return re.findall(r"'([^']*)'", expected or "")


def pack_message(err: Mapping[str, Any]) -> str:
    """One pydantic error in a pack file, in Swedish, naming the value that is wrong."""
    typ = err.get("type", "")
    value = err.get("input")
    scalar = isinstance(value, (str, int, float, bool))
    if typ in ("enum", "literal_error"):
        options = _enum_options(str(_ctx(err, "expected")))
        text = f"ogiltigt värde {_quote(value)}: ska vara en av {', '.join(options)}"
        if isinstance(value, str):
            lowered = {o.casefold(): o for o in options}
            if value.strip().casefold() in lowered:
                return text + f" – menade du '{lowered[value.strip().casefold()]}'?"
            return text + suggestion(value, options)
        return text
    if typ.startswith("date") and isinstance(value, str):
        detail = str(_ctx(err, "error") or "")
        for english_text, sv in _DATE_PROBLEMS.items():
            if english_text in detail:
                return f"datumet {_quote(value)} finns inte ({sv})"
        return f"{_quote(value)} är inget datum: skriv datum som ÅÅÅÅ-MM-DD, t.ex. 2024-01-01"
    if typ.startswith("date"):
        return f"ska vara ett datum (ÅÅÅÅ-MM-DD), inte {_quote(value)}"
    if typ == "string_pattern_mismatch" and isinstance(value, str):
        return (f"ogiltigt id {_quote(value)}: använd små bokstäver a–z, siffror, - och _ "
                f"(inga mellanslag, versaler eller å ä ö)")
    base = swedish(err)
    if typ.endswith("_type") or typ.endswith("_parsing") or typ == "int_from_float":
        if scalar and value is not None:
            return f"{base}, inte {_quote(value)}"
    return base


def pack_position(loc: tuple[Any, ...], data: Any) -> str:
    """('rules', 2, 'when', 'age_months') -> 'regel 3 (id abc-3-12): when.age_months'."""
    parts: list[str] = []
    path: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        part = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        child = node.get(part) if isinstance(node, dict) else None
        if isinstance(part, str) and isinstance(nxt, int) and part in LIST_ITEMS and not path:
            noun, key = LIST_ITEMS[part]
            item = child[nxt] if isinstance(child, list) and nxt < len(child) else None
            label = f"{noun} {nxt + 1}"
            if key and isinstance(item, dict) and isinstance(item.get(key), (str, int)):
                label += f" ({key} {item[key]})"
            parts.append(label)
            node = item
            i += 2
            continue
        if isinstance(part, int):
            path.append(f"värde {part + 1}")
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            path.append(str(part))
            node = child
        i += 1
    if path:
        # 'recommend, värde 2' reads better than 'recommend.värde 2'
        text = ""
        for p in path:
            text += (", " if p.startswith("värde ") else ("." if text else "")) + p
        parts.append(text)
    return ": ".join(parts)
