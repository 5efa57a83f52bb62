"""`foraldrastod coverage`: the kartläggning as text, CSV, a standalone HTML page or a PNG.

The words of the HTML (counts, tables, legend, findings) are also what the /kartlaggning page
shows (service/pages/web.py); the HTML itself is in templates/macros/coverage.html.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.coverage import AGE_BANDS, LEVELS, NO_NEED, Cell, CellStatus, CoverageMatrix, compute_coverage, csv_rows
from engine.lint import Finding, lint_pack
from engine.models import Availability, Level

LEVEL_LABELS = {Level.universell: "Universell", Level.selektiv: "Selektiv", Level.indikerad: "Indikerad"}
STATUS_TEXT = {s: s.value for s in CellStatus}
# blue / orange / light grey are told apart with colour-blindness too; every cell also has its word
STATUS_COLOURS = {CellStatus.tackt: "#2166ac", CellStatus.gap: "#d95f02", CellStatus.okand: "#d9d9d9"}
STATUS_TEXT_COLOURS = {CellStatus.tackt: "#ffffff", CellStatus.gap: "#000000", CellStatus.okand: "#000000"}
STATUS_CLASS = {CellStatus.tackt: "tackt", CellStatus.gap: "gap", CellStatus.okand: "okand"}
LEGEND = {
    CellStatus.tackt: "täckt – minst en insats som reglerna rekommenderar finns i kommunen",
    CellStatus.gap: "gap – reglerna rekommenderar inget här, eller alla insatserna saknas i kommunen",
    CellStatus.okand: "okänd – insatser rekommenderas men det är inte känt om kommunen har dem",
}
# on what a täckt cell rests, and why a cell is a gap (engine.coverage Cell.basis, Cell.gap_reason)
GRUND_SHORT = {"källa": "enligt källa", "kommunens uppgift": "enligt kommunen", "antagande": "antaget",
               "inget_rekommenderas": "inget stöd", "alla_saknas": "saknas"}
GRUND_TEXT = {
    # källa and kommunens uppgift: the insatser's lines in the cell say it already
    "antagande": "Täckt genom antagande: ingen källa och ingen uppgift från kommunen säger att insatsen "
                 "finns, det antas. Kommunens rapport kan bekräfta det.",
    "inget_rekommenderas": "Gap: reglerna rekommenderar ingen insats här.",
    "alla_saknas": "Gap: alla insatser som reglerna rekommenderar saknas i kommunen.",
}
GRUND_LEGEND = [("grund-antagande", "streckad kant och ordet ”antaget”: täckt bara genom antagande, inte "
                                    "enligt en källa eller kommunen"),
                ("grund-inget_rekommenderas", "”inget stöd”: gap där reglerna inte rekommenderar något; "
                                              "”saknas”: gap där alla insatserna saknas i kommunen")]
AVAIL_WORDS = {Availability.finns: "finns", Availability.saknas: "saknas", Availability.okand: "okänd"}


@dataclass(frozen=True)
class Filters:
    """What the /kartlaggning page shows; None = all."""

    view: str = "kommun"  # "kommun" | "behov"
    kommun: str | None = None
    need: str | None = None  # one behov (the per-need view); NO_NEED is "inget behov"
    band: str | None = None
    level: Level | None = None


# --------------------------------------------------------------------------- text and csv
def text_table(matrix: CoverageMatrix) -> str:
    bands = {b.key: b.label for b in matrix.bands}
    needs = dict(matrix.needs)
    lines = [
        f"Kartläggning av föräldraskapsstöd – regelpaket {matrix.pack_name} {matrix.pack_version}, "
        f"{matrix.day.isoformat()}",
        "En cell är kommun × åldersband × behov. täckt / gap / okänd per kommun:",
        "",
    ]
    name_w = max([len(n) for _c, n in matrix.kommuner] + [len("Kommun")])
    lines.append(f"{'Kommun'.ljust(name_w)}  täckt   gap  okänd")
    for code, name in matrix.kommuner:
        c = matrix.counts(code)
        lines.append(f"{name.ljust(name_w)}  {c[CellStatus.tackt]:5d} {c[CellStatus.gap]:5d} {c[CellStatus.okand]:6d}")
    total = matrix.counts()
    lines.append(f"{'Summa'.ljust(name_w)}  {total[CellStatus.tackt]:5d} {total[CellStatus.gap]:5d} "
                 f"{total[CellStatus.okand]:6d}")
    cells = list(matrix.cells.values())
    nothing = sum(c.gap_reason == "inget_rekommenderas" for c in cells)
    lines += ["", f"Täckta bara genom antagande: {sum(c.basis == 'antagande' for c in cells)} av "
                  f"{total[CellStatus.tackt]} täckta (resten enligt en källa eller kommunens uppgift).",
              f"Gap där inget rekommenderas: {nothing}; gap där alla insatser saknas: "
              f"{total[CellStatus.gap] - nothing}."]
    gaps = [c for c in matrix.rows() if c.status == CellStatus.gap]
    lines += ["", f"Gap ({len(gaps)}):"]
    names = dict(matrix.kommuner)
    for c in gaps:
        why = "inget rekommenderas" if not c.insatser else "alla insatser saknas: " + ", ".join(c.insats_ids)
        lines.append(f"  {names[c.kommun]}, {bands[c.band]}, {needs[c.need]}: {why}")
    return "\n".join(lines) + "\n"


def csv_text(matrix: CoverageMatrix) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(csv_rows(matrix))
    return buf.getvalue()


def findings_text(findings: list[Finding]) -> str:
    if not findings:
        return "Inga anmärkningar på regelpaketet.\n"
    return "Anmärkningar på regelpaketet:\n" + "".join(f"  {f}\n" for f in findings)


# --------------------------------------------------------------------------- html
# What the kartläggning's HTML shows, in words; the HTML is in templates/macros/coverage.html.
def _cell(cell: Cell | None, context: str) -> dict[str, Any] | None:
    if cell is None:
        return None
    grund = cell.basis or cell.gap_reason
    return {
        "cls": STATUS_CLASS[cell.status], "status": cell.status.value, "word": STATUS_TEXT[cell.status],
        "grund": grund, "grund_short": GRUND_SHORT.get(grund, ""), "grund_text": GRUND_TEXT.get(grund, ""),
        "context": context, "level": cell.level.value if cell.level else "",
        "insatser": [{"name": i.name, "availability": AVAIL_WORDS[i.availability],
                      "basis": i.basis.value if i.basis else "", "reason": i.reason or "",
                      "verified": i.verified.isoformat() if i.verified else ""} for i in cell.insatser],
    }


def _bands(filters: Filters):
    return [b for b in AGE_BANDS if filters.band in (None, b.key)]


def _need_level(matrix: CoverageMatrix, need: str) -> Level | None:
    levels = [c.level for c in matrix.cells.values() if c.need == need and c.level]
    return max(levels, key=lambda lv: lv.rank) if levels else None


def _kept_needs(matrix: CoverageMatrix, filters: Filters):
    return [(code, label) for code, label in matrix.needs
            if (filters.level is None or _need_level(matrix, code) == filters.level)
            and (filters.need is None or filters.need == code)]


def _kept_kommuner(matrix: CoverageMatrix, filters: Filters):
    return [(c, n) for c, n in matrix.kommuner if filters.kommun in (None, c)]


def _table(caption: str, first_header: str, rows: list[tuple[str, str, list[tuple[Cell | None, str]]]],
           bands, table_id: str) -> dict[str, Any]:
    return {"id": table_id, "caption": caption, "first_header": first_header, "bands": [b.label for b in bands],
            "rows": [{"label": label, "extra": extra, "cells": [_cell(c, ctx) for c, ctx in cells]}
                     for label, extra, cells in rows]}


def _counts_line(counts: dict[CellStatus, int]) -> list[dict[str, Any]]:
    return [{"cls": STATUS_CLASS[s], "word": STATUS_TEXT[s], "n": n} for s, n in counts.items()]


def _filtered_counts(matrix: CoverageMatrix, filters: Filters, kommun: str) -> dict[CellStatus, int]:
    needs = {c for c, _l in _kept_needs(matrix, filters)}
    bands = {b.key for b in _bands(filters)}
    out = {s: 0 for s in CellStatus}
    for c in matrix.cells.values():
        if c.kommun == kommun and c.need in needs and c.band in bands:
            out[c.status] += 1
    return out


def counts(matrix: CoverageMatrix, filters: Filters = Filters()) -> dict[str, Any]:
    """täckt / gap / okänd per kommun in the selection (macros/coverage.html: counts_table)."""
    rows = [{"name": name, "counts": _counts_line(_filtered_counts(matrix, filters, code))}
            for code, name in _kept_kommuner(matrix, filters)]
    return {"statuses": [{"word": STATUS_TEXT[s]} for s in CellStatus], "rows": rows}


def tables(matrix: CoverageMatrix, filters: Filters = Filters()) -> list[dict[str, Any]]:
    """One table per need or per kommun (macros/coverage.html: tables)."""
    bands = _bands(filters)
    needs = _kept_needs(matrix, filters)
    kommuner = _kept_kommuner(matrix, filters)
    labels = {b.key: b.label for b in AGE_BANDS}
    out = []
    if filters.view == "behov":
        for n, (code, label) in enumerate(needs):
            level = _need_level(matrix, code)
            rows = []
            for kcode, kname in kommuner:
                cells = [(matrix.cell(kcode, b.key, code), f"{kname}, {labels[b.key]}") for b in bands]
                if any(c is not None for c, _ctx in cells):
                    rows.append((kname, "", cells))
            if not rows:
                continue  # the need cannot arise in the chosen ages
            title = f"{label}" + (f" – {level.value} nivå" if level else "")
            out.append({"n": n, "title": title, "counts": None,
                        "table": _table(f"{label}: per kommun och åldersband", "Kommun", rows, bands, f"tabell-{n}")})
    else:
        for n, (kcode, kname) in enumerate(kommuner):
            rows = []
            for code, label in needs:
                level = _need_level(matrix, code)
                cells = [(matrix.cell(kcode, b.key, code), f"{label}, {labels[b.key]}") for b in bands]
                if any(c is not None for c, _ctx in cells):  # not a need that cannot arise at these ages
                    rows.append((label, level.value if level else "", cells))
            out.append({"n": n, "title": kname, "counts": _counts_line(_filtered_counts(matrix, filters, kcode)),
                        "table": _table(f"{kname}: behov per åldersband", "Behov", rows, bands, f"tabell-{n}")})
    return out


NO_NEED_PARAM = "inget"  # ?behov=inget: the cells without a need (universal support)


def need_param(code: str) -> str:
    return code or NO_NEED_PARAM


def need_of_param(value: str, codes: set[str]) -> str | None:
    """The need a ?behov= value names (NO_NEED for "inget"); None for none or an unknown value."""
    if value == NO_NEED_PARAM:
        return NO_NEED
    return value if value and value in codes else None


def legend(with_grund: bool = False) -> list[tuple[str, str]]:
    return [(STATUS_CLASS[s], LEGEND[s]) for s in CellStatus] + (GRUND_LEGEND if with_grund else [])


def _overview_counts(cells: list[Cell]) -> dict[str, int]:
    return {"tackt": sum(c.status is CellStatus.tackt for c in cells),
            "antaget": sum(c.basis == "antagande" for c in cells),
            "gap": sum(c.status is CellStatus.gap for c in cells),
            "inget": sum(c.gap_reason == "inget_rekommenderas" for c in cells),
            "okand": sum(c.status is CellStatus.okand for c in cells), "n": len(cells)}


def overview(matrix: CoverageMatrix, filters: Filters = Filters()) -> dict[str, Any]:
    """The whole län in one small table (macros/coverage.html: overview): a row per kommun (or per
    behov), a column per åldersband, the counts of its cells, each linking to the cell-by-cell
    detail of that kommun (or behov) and band. The page stays small and fast; the detail is one
    click away and needs no JavaScript."""
    bands = _bands(filters)
    needs = {c for c, _l in _kept_needs(matrix, filters)}
    kommuner = {c for c, _n in _kept_kommuner(matrix, filters)}
    grouped: dict[tuple[str, str], list[Cell]] = {}
    for c in matrix.cells.values():
        if c.need in needs and c.kommun in kommuner:
            key = (c.need, c.band) if filters.view == "behov" else (c.kommun, c.band)
            grouped.setdefault(key, []).append(c)
    level = f"&niva={filters.level.value}" if filters.level else ""
    if filters.view == "behov":
        heads = [(code, label, f"/kartlaggning?vy=behov&behov={need_param(code)}{level}") for code, label in matrix.needs
                 if code in needs]
        first, caption = "Behov", "Antal kommuner per behov och åldersband: täckt, gap, okänd"
    else:
        heads = [(code, name, f"/kartlaggning?kommun={code}{level}") for code, name in matrix.kommuner
                 if code in kommuner]
        first, caption = "Kommun", "Antal celler (behov) per kommun och åldersband: täckt, gap, okänd"
    rows = []
    for code, label, href in heads:
        cells = [{"band": b.key, "href": f"{href}&alder={b.key}", "counts": _overview_counts(grouped[(code, b.key)]),
                  "context": f"{label}, {b.label}"} if (code, b.key) in grouped else None for b in bands]
        if any(cells):
            rows.append({"code": code, "label": label, "href": href, "cells": cells})
    return {"caption": caption, "first_header": first, "bands": [b.label for b in bands], "rows": rows,
            "attr": "behov" if filters.view == "behov" else "kommun"}


def findings(items: list[Finding]) -> list[dict[str, str]]:
    return [{"severity": f.severity, "message": f.message, "where": f.where() or ""} for f in items]


def standalone_html(matrix: CoverageMatrix, found: list[Finding]) -> str:
    """`foraldrastod coverage --html`: one file with its styles inline (templates/kartlaggning_fil.html)."""
    from markupsafe import Markup

    from service.core.templating import render

    # our own stylesheet, not data: inline as it is (escaping would break its quotes and `>`)
    css = Markup((Path(__file__).parent / "static" / "kartlaggning.css").read_text(encoding="utf-8"))
    return render("kartlaggning_fil.html", matrix=matrix, css=css, legend=legend(), counts=counts(matrix),
                  tables=tables(matrix), findings=findings(found)) + "\n"


# --------------------------------------------------------------------------- png
def _worst(cells: list[Cell]) -> CellStatus:
    statuses = {c.status for c in cells}
    for s in (CellStatus.gap, CellStatus.okand, CellStatus.tackt):
        if s in statuses:
            return s
    return CellStatus.okand


def png_bytes(matrix: CoverageMatrix) -> bytes:
    """Heatmap: kommun × åldersband × nivå; a square shows the worst of its cells (gap before
    okänd before täckt) and how many cells are gaps."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    order = list(CellStatus)
    index = {s: i for i, s in enumerate(order)}
    columns = [(b, lv) for b in AGE_BANDS for lv in LEVELS]
    data, labels = [], []
    for code, _n in matrix.kommuner:
        row, lab = [], []
        for b, lv in columns:
            cells = [c for c in matrix.cells.values() if c.kommun == code and c.band == b.key and c.level == lv]
            worst = _worst(cells)
            row.append(index[worst])
            gaps = sum(c.status == CellStatus.gap for c in cells)
            lab.append((worst, f"{STATUS_TEXT[worst]}" + (f" {gaps}" if gaps else "") if cells else "–"))
        data.append(row)
        labels.append(lab)
    rows = max(len(data), 1)
    fig = Figure(figsize=(16, 3.2 + 0.45 * rows), dpi=110, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    cmap = ListedColormap([STATUS_COLOURS[s] for s in order])
    ax.imshow(data or [[index[CellStatus.okand]] * len(columns)], cmap=cmap, vmin=-0.5,
              vmax=len(order) - 0.5, aspect="auto")
    for r, lab in enumerate(labels):
        for c, (s, text) in enumerate(lab):
            ax.text(c, r, text, ha="center", va="center", fontsize=8, color=STATUS_TEXT_COLOURS[s])
    ax.set_yticks(range(len(matrix.kommuner)), [n for _c, n in matrix.kommuner], fontsize=10)
    ax.set_xticks(range(len(columns)), [LEVEL_LABELS[lv] for _b, lv in columns], rotation=45,
                  ha="right", rotation_mode="anchor", fontsize=9)
    ax.set_xticks([x - 0.5 for x in range(1, len(columns))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, rows)], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    for i in range(1, len(AGE_BANDS)):
        ax.axvline(i * len(LEVELS) - 0.5, color="black", linewidth=2.5)
    top = ax.secondary_xaxis("top")
    top.set_xticks([(i + 0.5) * len(LEVELS) - 0.5 for i in range(len(AGE_BANDS))],
                   [b.label for b in AGE_BANDS], fontsize=11, fontweight="bold")
    top.tick_params(length=0)
    ax.set_title(f"Kartläggning av föräldraskapsstöd – regelpaket {matrix.pack_name}, "
                 f"{matrix.day.isoformat()} (sämsta cellen per kommun, åldersband och nivå; siffra = antal gap)",
                 fontsize=12)
    fig.legend(handles=[Patch(facecolor=STATUS_COLOURS[s], edgecolor="#555", label=LEGEND[s]) for s in order],
               loc="outside lower center", ncol=3, fontsize=9.5, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# --------------------------------------------------------------------------- cli
def main(args: argparse.Namespace) -> int:
    from engine import PackInvalid, load_pack

    try:
        pack = load_pack(getattr(args, "rules", None))
    except PackInvalid as exc:
        print("Regelpaketet är ogiltigt:", file=sys.stderr)
        for err in exc.errors:
            print(str(err), file=sys.stderr)
        return 1
    matrix = compute_coverage(pack)
    fmt = getattr(args, "format", "text") or "text"
    out = getattr(args, "out", None)
    if fmt == "png":
        data = png_bytes(matrix)
        if not out:
            if sys.stdout.isatty():
                print("Ange --out FIL för PNG-formatet.", file=sys.stderr)
                return 2
            sys.stdout.buffer.write(data)
            return 0
        Path(out).write_bytes(data)
        print(f"Skrev {out}", file=sys.stderr)
        return 0
    if fmt == "csv":
        text = csv_text(matrix)
    else:
        findings = lint_pack(pack)
        text = standalone_html(matrix, findings) if fmt == "html" else text_table(matrix) + "\n" + findings_text(findings)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"Skrev {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
