"""What /healthz reports beyond the pack: parts the app factory registers (for instance whether
CDS Hooks calls are authenticated), so that the API reports them without importing the
integrations that know them."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def register(app: Any, name: str, part: Callable[[], Any]) -> None:
    """`part()` is called for each /healthz answer; its value goes under `name`."""
    parts_of(app)[name] = part


def parts_of(app: Any) -> dict[str, Callable[[], Any]]:
    parts = getattr(app.state, "health_parts", None)
    if parts is None:
        parts = app.state.health_parts = {}
    return parts


def parts(app: Any) -> dict[str, Any]:
    return {name: part() for name, part in parts_of(app).items()}
