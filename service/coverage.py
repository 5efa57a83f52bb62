"""`foraldrastod coverage`: the kartläggning as a text table, a standalone HTML page or a PNG heatmap.

The rendering functions are also used by the /kartlaggning page (service/web.py).
"""
from __future__ import annotations

import argparse
import html
import io
import sys
from pathlib import Path

from engine.coverage import AGE_BANDS, LEVELS, CoverageMatrix, compute_coverage
from engine.lint import Finding, lint_pack
from engine.models import Availability, Level

LEVEL_LABELS = {Level.universell: "Universell", Level.selektiv: "Selektiv", Level.indikerad: "Indikerad"}
LEVEL_SHORT = {Level.universell: "U", Level.selektiv: "S", Level.indikerad: "I"}
STATUS_TEXT = {Availability.finns: "finns", Availability.saknas: "saknas", Availability.okand: "okänd"}
# Heatmap colours: blue / orange / light grey are told apart with colour-blindness too,
# and every cell also carries its word.
STATUS_COLOURS = {Availability.finns: "#2166ac", Availability.saknas: "#d95f02", Availability.okand: "#d9d9d9"}
STATUS_TEXT_COLOURS = {Availability.finns: "#ffffff", Availability.saknas: "#000000", Availability.okand: "#000000"}
LEGEND = {
    Availability.finns: "finns – minst en insats finns i kommunen",
    Availability.saknas: "saknas – ingen insats, eller alla saknas i kommunen",
    Availability.okand: "okänd – insatser finns i regelpaketet men tillgången är inte känd",
}


# --------------------------------------------------------------------------- text
def text_table(matrix: CoverageMatrix) -> str:
    name_w = max(len(n) for _c, n in matrix.kommuner) if matrix.kommuner else 6
    name_w = max(name_w, len("Kommun"))
    cell_w = 6
    lines = [
        f"Kartläggning av föräldraskapsstöd – regelpaket {matrix.pack_name} {matrix.pack_version}, "
        f"{matrix.day.isoformat()}",
        "Nivåer: U = universell, S = selektiv, I = indikerad. "
        "Värden: finns / saknas / okänd (tillgång i kommunen).",
        "",
    ]
    band_w = (cell_w + 1) * len(LEVELS) - 1
    lines.append(" " * name_w + " | " + " | ".join(b.label.center(band_w) for b in AGE_BANDS))
    lines.append("Kommun".ljust(name_w) + " | " + " | ".join(
        " ".join(LEVEL_SHORT[lv].center(cell_w) for lv in LEVELS) for _b in AGE_BANDS))
    lines.append("-" * len(lines[-1]))
    for code, name in matrix.kommuner:
        cells = []
        for band in AGE_BANDS:
            cells.append(" ".join(
                STATUS_TEXT[matrix.cell(code, band.key, lv).status].ljust(cell_w) for lv in LEVELS))
        lines.append(name.ljust(name_w) + " | " + " | ".join(cells))
    counts = matrix.counts()
    lines.append("")
    lines.append("Summa: " + ", ".join(f"{STATUS_TEXT[a]} {counts[a]}" for a in Availability))
    return "\n".join(lines) + "\n"


def findings_text(findings: list[Finding]) -> str:
    if not findings:
        return "Inga anmärkningar på regelpaketet.\n"
    return "Anmärkningar på regelpaketet:\n" + "".join(f"  {f}\n" for f in findings)


# --------------------------------------------------------------------------- html
def table_html(matrix: CoverageMatrix) -> str:
    """An accessible table: caption, two header rows with scope, a word in every cell."""
    e = html.escape
    head1 = "".join(
        f'<th scope="colgroup" colspan="{len(LEVELS)}" id="band-{e(b.key)}">{e(b.label)}</th>' for b in AGE_BANDS)
    head2 = "".join(
        f'<th scope="col" id="col-{e(b.key)}-{lv.value}" headers="band-{e(b.key)}">{LEVEL_LABELS[lv]}</th>'
        for b in AGE_BANDS for lv in LEVELS)
    rows = []
    for code, name in matrix.kommuner:
        tds = []
        for band in AGE_BANDS:
            for lv in LEVELS:
                c = matrix.cell(code, band.key, lv)
                title = ", ".join(c.insatser) if c.insatser else "ingen insats i regelpaketet"
                word = STATUS_TEXT[c.status]
                tds.append(
                    f'<td class="status-{e(c.status.name)}" headers="kommun-{e(code)} band-{e(band.key)} '
                    f'col-{e(band.key)}-{lv.value}" title="{e(title)}">{e(word)}</td>')
        rows.append(f'<tr><th scope="row" id="kommun-{e(code)}">{e(name)}</th>{"".join(tds)}</tr>')
    return (
        '<table class="coverage">'
        f"<caption>Tillgång till föräldraskapsstöd per kommun, åldersband och preventionsnivå "
        f"({e(matrix.day.isoformat())})</caption>"
        f'<thead><tr><td rowspan="2"></td>{head1}</tr><tr>{head2}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def legend_html() -> str:
    items = "".join(
        f'<li><span class="swatch status-{a.name}" aria-hidden="true"></span>{html.escape(LEGEND[a])}</li>'
        for a in Availability)
    return f'<ul class="legend">{items}</ul>'


def findings_html(findings: list[Finding]) -> str:
    if not findings:
        return "<p>Inga anmärkningar på regelpaketet.</p>"
    e = html.escape
    items = []
    for f in findings:
        where = f' <span class="where">({e(f.where())})</span>' if f.where() else ""
        items.append(f'<li class="finding finding-{e(f.severity)}"><strong>{e(f.severity.capitalize())}:</strong> '
                     f"{e(f.message)}{where}</li>")
    return f'<ul class="findings">{"".join(items)}</ul>'


STANDALONE_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}
table.coverage{border-collapse:collapse;font-size:.85rem}
.coverage th,.coverage td{border:1px solid #767676;padding:.25rem .4rem;text-align:center}
.coverage th[scope=row]{text-align:left}
.status-finns{background:#2166ac;color:#fff}
.status-saknas{background:#d95f02;color:#000}
.status-okand{background:#d9d9d9;color:#000}
.legend{list-style:none;padding:0}.legend li{margin:.2rem 0}
.swatch{display:inline-block;width:1em;height:1em;margin-right:.4em;vertical-align:middle;border:1px solid #555}
.table-wrap{overflow-x:auto}
"""


def standalone_html(matrix: CoverageMatrix, findings: list[Finding]) -> str:
    e = html.escape
    return f"""<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kartläggning av föräldraskapsstöd – {e(matrix.pack_name)}</title>
<style>{STANDALONE_CSS}</style></head>
<body><main>
<h1>Kartläggning av föräldraskapsstöd</h1>
<p>Regelpaket {e(matrix.pack_name)} {e(matrix.pack_version)}, gäller {e(matrix.day.isoformat())}.</p>
{legend_html()}
<div class="table-wrap">{table_html(matrix)}</div>
<h2>Anmärkningar på regelpaketet</h2>
{findings_html(findings)}
</main></body></html>
"""


# --------------------------------------------------------------------------- png
def png_bytes(matrix: CoverageMatrix) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    order = list(Availability)
    index = {a: i for i, a in enumerate(order)}
    columns = matrix.columns()
    data = [[index[matrix.cell(code, b.key, lv).status] for b, lv in columns] for code, _n in matrix.kommuner]
    rows = max(len(data), 1)
    fig = Figure(figsize=(16, 3.2 + 0.45 * rows), dpi=110, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    cmap = ListedColormap([STATUS_COLOURS[a] for a in order])
    ax.imshow(data or [[index[Availability.okand]] * len(columns)], cmap=cmap, vmin=-0.5,
              vmax=len(order) - 0.5, aspect="auto")
    for r, row in enumerate(data):
        for c, v in enumerate(row):
            a = order[v]
            ax.text(c, r, STATUS_TEXT[a], ha="center", va="center", fontsize=8, color=STATUS_TEXT_COLOURS[a])
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
                 f"{matrix.day.isoformat()} (rader: kommuner; kolumner: åldersband × preventionsnivå)",
                 fontsize=12)
    fig.legend(handles=[Patch(facecolor=STATUS_COLOURS[a], edgecolor="#555", label=LEGEND[a]) for a in order],
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
    findings = lint_pack(pack)
    text = standalone_html(matrix, findings) if fmt == "html" else text_table(matrix) + "\n" + findings_text(findings)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"Skrev {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
