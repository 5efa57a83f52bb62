"""Error bodies for the HTTP API: Swedish first, English after, naming the field, never the input.

FastAPI's default 422 echoes the offending `input`; every error here is built from the field
path and a fixed text only, so a personnummer sent by mistake is never sent back or logged.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from engine import looks_like_personnummer
from engine.messages import english, swedish

BODY = "indata"
_SAFE_NAME = re.compile(r"[^0-9A-Za-z_åäöÅÄÖ-]")


class ErrorItem(BaseModel):
    field: str = Field(description="Fältet som är fel, t.ex. `age_months` eller `needs[0]`")
    sv: str = Field(description="Felet på svenska")
    en: str = Field(description="The error in English")


class ErrorBody(BaseModel):
    """Svar vid fel. `message` är svenska först, engelska efter, och nämner fältet."""

    message: str = Field(examples=["Fel i age_months: får vara högst 216 / Error in age_months: must be at most 216"])
    errors: list[ErrorItem] = Field(default_factory=list)


class ApiError(Exception):
    """Raised anywhere below an endpoint; becomes a JSON error body."""

    def __init__(self, status: int, items: Sequence[ErrorItem], headers: Mapping[str, str] | None = None,
                 message: str | None = None):
        self.status = status
        self.items = list(items)
        self.headers = dict(headers or {})
        self.message = message
        super().__init__(self.message or "; ".join(f"{i.field}: {i.sv}" for i in self.items))


def error(status: int, field: str, sv: str, en: str, headers: Mapping[str, str] | None = None) -> ApiError:
    return ApiError(status, [ErrorItem(field=field, sv=sv, en=en)], headers)


def safe_name(part: Any) -> str:
    """A field name from the request, cut down so that it can be shown: no values, no numbers
    shaped like a personnummer, at most 40 characters."""
    text = str(part)
    if looks_like_personnummer(text):
        return "…"
    cleaned = _LONG_DIGITS.sub("…", _SAFE_NAME.sub("", text))[:40]
    return cleaned or "…"


def field_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + safe_name(part)
    if len(out) > 120:
        out = out[:119] + "…"
    return out or BODY


def message_of(items: Sequence[ErrorItem]) -> str:
    sv = "; ".join(f"Fel i {i.field}: {i.sv}" for i in items)
    en = "; ".join(f"Error in {i.field}: {i.en}" for i in items)
    return f"{sv} / {en}"


def render(status: int, items: Sequence[ErrorItem], headers: Mapping[str, str] | None = None,
           message: str | None = None) -> Response:
    body = {"message": scrub(message or message_of(items)),
            "errors": [{k: scrub(v) for k, v in i.model_dump().items()} for i in items]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=dict(headers or {}))


def items_from_pydantic(errors: Iterable[Mapping[str, Any]], prefix: Sequence[Any] = ()) -> list[ErrorItem]:
    """Pydantic error dicts → items. Only `type`, `loc`, `ctx` and our own validator texts are
    used; pydantic's `input` is dropped."""
    items: list[ErrorItem] = []
    for err in errors:
        loc = list(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        sv, en = swedish(err), english(err)
        head, sep, rest = sv.partition(": ")
        if err.get("type") == "value_error" and sep and head.isidentifier():
            # a model validator names its field itself: "age_months: ange ... / give ..."
            loc, sv = [*loc, head], rest
        sv = sv.split(" / ", 1)[0]
        if err.get("type") == "extra_forbidden" and loc:
            sv = f"okänt fält '{safe_name(loc[-1])}' (fältet finns inte i formatet)"
        items.append(ErrorItem(field=field_path([*prefix, *loc]), sv=sv, en=en))
    return items


def validation_error(exc: ValidationError, prefix: Sequence[Any] = ()) -> ApiError:
    return ApiError(422, items_from_pydantic(exc.errors(include_input=False), prefix))


# --------------------------------------------------------------------------- body scanning
PERSONNUMMER_SV = ("ser ut som ett personnummer eller samordningsnummer; skicka aldrig "
                   "personuppgifter till tjänsten")
PERSONNUMMER_EN = "looks like a Swedish personal identity or coordination number; never send personal data"


def _suspect(value: Any) -> bool:
    if isinstance(value, str):
        return looks_like_personnummer(value)
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return abs(value) >= 100000000 and looks_like_personnummer(str(value))
    if isinstance(value, float):
        return value.is_integer() and abs(value) >= 1e8 and looks_like_personnummer(str(int(value)))
    return False


def find_personnummer(value: Any, loc: tuple = ()) -> tuple | None:
    """The location of the first string, integer, number or key anywhere in a parsed JSON
    document that is shaped like a personnummer or samordningsnummer; None if there is none.
    Iterative, so that deeply nested input cannot exhaust the stack."""
    stack: list[tuple[Any, tuple]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            children = []
            for key, child in item.items():
                if looks_like_personnummer(key):
                    return (*where, "…")
                children.append((child, (*where, key)))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend((child, (*where, i)) for i, child in reversed(list(enumerate(item))))
        elif _suspect(item):
            return where
    return None


def refuse_personnummer(data: Any, prefix: Sequence[Any] = ()) -> None:
    loc = find_personnummer(data)
    if loc is not None:
        from service.core import metrics

        metrics.personnummer_refused()
        raise error(422, field_path([*prefix, *loc]), PERSONNUMMER_SV, PERSONNUMMER_EN)


INVALID_JSON = error(422, BODY, "ogiltig JSON: kroppen måste vara ett JSON-objekt i UTF-8",
                     "invalid JSON: the body must be a JSON object in UTF-8")
DUPLICATE_KEY_SV = "samma fält förekommer flera gånger i samma objekt; ange varje fält en gång"
DUPLICATE_KEY_EN = "the same key occurs more than once in one object; give each key once"


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def parse_json(body: bytes) -> Any:
    """The body as JSON, strictly: UTF-8, no NaN or Infinity (orjson), and no key
    twice in one object (422: {"kommun": "811218-9876", "kommun": "Nora"} must not pass as Nora).
    A duplicated key that looks like a personnummer is not named."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise INVALID_JSON from None
    if isinstance(data, (dict, list)) and body.count(b":") > 1:
        try:
            json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except _Duplicate as dup:
            raise error(422, safe_name(dup.key), DUPLICATE_KEY_SV, DUPLICATE_KEY_EN) from None
        except (ValueError, RecursionError):
            raise INVALID_JSON from None
    return data


_LONG_DIGITS = re.compile(r"\d{6,}")


def scrub(text: str) -> str:
    """No run of six or more digits from a request ever leaves in a message."""
    return _LONG_DIGITS.sub("…", text) if text else text


# --------------------------------------------------------------------------- handlers
_STATUS_TEXT = {
    400: ("felaktig begäran", "bad request"),
    401: ("inloggning krävs", "authentication required"),
    403: ("åtkomst nekad", "forbidden"),
    404: ("finns inte", "not found"),
    405: ("metoden stöds inte här", "method not allowed"),
    406: ("formatet stöds inte", "not acceptable"),
    413: ("för stor begäran", "request too large"),
    415: ("innehållstypen stöds inte", "unsupported media type"),
}


async def api_error_handler(request: Request, exc: ApiError) -> Response:
    return render(exc.status, exc.items, exc.headers, exc.message)


async def request_validation_handler(request: Request, exc: RequestValidationError) -> Response:
    return render(422, items_from_pydantic(exc.errors()))


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> Response:
    sv, en = _STATUS_TEXT.get(exc.status_code, ("fel", "error"))
    field = "sökväg" if exc.status_code in (404, 405) else BODY
    items = [ErrorItem(field=field, sv=sv, en=en)]
    msg = f"{sv[0].upper()}{sv[1:]} / {en[0].upper()}{en[1:]}"
    return render(exc.status_code, items, getattr(exc, "headers", None), msg)


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Anything unexpected (e.g. the rules engine failing): 500 in Swedish, no details."""
    items = [ErrorItem(field=BODY, sv="internt fel i tjänsten; försök igen", en="internal error; try again")]
    return render(500, items, message="Internt fel i tjänsten; försök igen / Internal error; try again")


async def body_timeout_handler(request: Request, exc: Exception) -> Response:
    from service.core.limits import BODY_TIMEOUT

    items = [ErrorItem(field=BODY, sv=f"kroppen kom inte fram inom {BODY_TIMEOUT:g} s",
                       en=f"request body not received within {BODY_TIMEOUT:g} s")]
    return render(408, items, {"Connection": "close"},
                  message="Kroppen kom inte fram i tid / Request body not received in time")


def install(app) -> None:
    from service.core.limits import BodyTimeout

    app.add_exception_handler(BodyTimeout, body_timeout_handler)
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(Exception, internal_error_handler)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    408: {"model": ErrorBody, "description": "Kroppen kom inte fram i tid (10 s)"},
    413: {"model": ErrorBody, "description": "Begäran är för stor (högst 16 KiB)"},
    415: {"model": ErrorBody, "description": "Innehållstypen är inte JSON (skicka `Content-Type: application/json`)"},
    422: {"model": ErrorBody, "description": "Ogiltig begäran: meddelandet är på svenska, sedan engelska, och nämner fältet"},
}
