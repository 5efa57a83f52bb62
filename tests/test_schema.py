"""Schemathesis against the service's own OpenAPI schema: no input gives a 5xx, and every answer
matches the documented status codes, content types and response schemas."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from engine.loader import DEFAULT_PACK
from service.app import create_app

app = create_app(DEFAULT_PACK)
# /v1/uppfoljning needs a database (503 without one): tests/uppfoljning/test_schema_uppf.py runs it with one
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex="^/v1/uppfoljning")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_breaks_the_api(case):
    case.call_and_validate(checks=CHECKS)
