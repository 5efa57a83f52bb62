"""THE one way into a decision for every surface: the JSON API, the staff page, CDS Hooks and HSDS
take the served state, validate a family and get the decision's HTTP body through these functions
(so that a decision is the same bytes whichever way it is asked for, and is measured once).

Imports `engine` and the rest of `service.core`; never the surfaces.
"""
from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from engine import EngineError, Family, FamilyInvalid

from service.core import errors, metrics
from service.core.errors import error, refuse_personnummer
from service.core.state import EngineState

JSON = "application/json"


def state_of(request: Request) -> EngineState:
    return request.app.state.engine_state


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def family_from(data: Any, prefix: tuple = ()) -> Family:
    """A validated Family from parsed JSON; ApiError (422) otherwise. Looks for a personnummer
    first, so that no later message can even name its value."""
    refuse_personnummer(data, prefix)
    if not isinstance(data, dict):
        raise error(422, errors.field_path(prefix), "ska vara ett JSON-objekt", "must be a JSON object")
    try:
        return Family.model_validate(data)
    except ValidationError as exc:
        raise errors.validation_error(exc, prefix) from None


def decide(state: EngineState, family: Family, prefix: tuple = ()) -> bytes:
    started = time.perf_counter()
    try:
        return state.decide_body(family)
    except FamilyInvalid as exc:
        raise error(422, errors.field_path([*prefix, exc.field]), exc.sv, exc.en) from None
    except EngineError:
        raise engine_failed() from None
    finally:
        metrics.observe_decision(time.perf_counter() - started)


async def decide_async(state: EngineState, family: Family, prefix: tuple = ()) -> bytes:
    """As `decide`, with the engine's work in a thread: the event loop never waits for it."""
    started = time.perf_counter()
    try:
        return await state.decide_body_async(family)
    except FamilyInvalid as exc:
        raise error(422, errors.field_path([*prefix, exc.field]), exc.sv, exc.en) from None
    except EngineError:
        raise engine_failed() from None
    finally:
        metrics.observe_decision(time.perf_counter() - started)


def engine_failed() -> errors.ApiError:
    return error(500, errors.BODY, "regelmotorn kunde inte fatta beslutet; försök igen",
                 "the rules engine failed to make the decision; try again")
