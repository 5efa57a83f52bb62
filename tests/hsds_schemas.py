"""The official HSDS 3.0.1 schemas (tests/vendor/hsds) as validators with format checking."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema_rs

VENDOR = Path(__file__).resolve().parent / "vendor" / "hsds"


@lru_cache(maxsize=None)
def _load(rel: str) -> dict:
    return json.loads((VENDOR / rel).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def validator(name: str):
    """`service`, `service_list`, `organization`, `organization_list` (compiled/*.json), or
    `page` and `api_info` from the official openapi.json."""
    if name == "page":
        schema = _load("openapi.json")["components"]["schemas"]["Page"]
    elif name == "api_info":
        schema = _load("openapi.json")["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    else:
        schema = _load(f"compiled/{name}.json")
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def errors(name: str, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator(name).iter_errors(instance)]
