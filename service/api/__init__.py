"""The v1 JSON API: /v1/recommendations and the catalogue (routes.py), health, metrics and the
admin reload (admin.py), their response models for /openapi.json (schemas.py).

Imports `engine` and `service.core` (decisions through `service.core.deciding`); never the
pages, the integrations or the workspace.
"""
from __future__ import annotations

from fastapi import APIRouter

from service.api import admin, routes
from service.api.admin import add_admin_route, admin_token

router = APIRouter()
router.include_router(routes.router)
router.include_router(admin.router)

__all__ = ["add_admin_route", "admin_token", "router"]
