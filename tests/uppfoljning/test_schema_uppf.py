"""Schemathesis against /v1/uppfoljning with a migrated SQLite database: no input gives a 5xx,
and every answer matches the documented status codes, content types and schemas."""
from __future__ import annotations

import tempfile
from pathlib import Path

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
from service.workspace import db

_TMP = tempfile.TemporaryDirectory(prefix="uppf-schema-")
URL = f"sqlite:///{Path(_TMP.name) / 'schema.db'}"
db.upgrade(URL)
app = create_app(DEFAULT_PACK)
app.state.uppf_database_url = URL
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/v1/uppfoljning")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_breaks_uppfoljning(case):
    case.call_and_validate(checks=CHECKS)
