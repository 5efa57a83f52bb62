"""CSS, JavaScript and images straight from a package's static/ folder: no sub-paths, no hidden
files, only the kinds the pages use."""
from __future__ import annotations

from pathlib import Path

from starlette.responses import Response

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml"}


def static_file(directory: Path, name: str) -> Response:
    """A CSS, JS or image file straight from `directory` (no sub-paths, no hidden files)."""
    path = directory / name
    media = STATIC_TYPES.get(path.suffix)
    if media is None or "/" in name or name.startswith(".") or not path.is_file():
        return Response("Finns inte", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(path.read_bytes(), media_type=media,
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
