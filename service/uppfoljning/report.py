"""The report: one period's protected cells and the indicators, as the HTTP body (JSON), CSV and
text. The counts are read with two SQL queries (no Python loop over registrations: the tables
hold one row per distinct cell); every figure from registrations comes out of
`disclosure.protect`.

Indicators name the målområde and the passage they follow up (`kalla`). Those from the pack
(familjecentral, kartläggningens okända celler, föräldraskapsprogram) need no protection: they
describe the kommun's offer, not families.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from collections import OrderedDict
from collections.abc import Iterator

from sqlalchemy import func, select

from engine.coverage import AGE_BANDS, CellStatus
from engine.loader import Pack
from engine.models import Availability
from service.workspace import db

from . import disclosure, kartlaggning
from .cells import BAND_LABELS
from .models import UppfBedomning, UppfCell, UppfSkydd

CSV_HEADER = ("period", "kommun", "kommunkod", "aldersband", "behov", "niva", "insats_id", "utfall", "antal")

STRATEGI = "strategi-2024"
MAL2 = "5. Målområde 2 – Ett tillgängligt stöd"
# the programmes the 2022 presentation lists ("Föräldraskapsstödsprogramsresan!") as the pack names them
PROGRAM_IDS = ("abc-0-2", "abc", "abc-tonar", "icdp", "familjeverkstan", "active-parenting", "cope",
               "triple-p", "alskade-forbannade-tonaring", "connect", "komet", "de-otroliga-aren")
PROGRAM_ASSUMPTION = ("vilka insatser som räknas som föräldraskapsprogram är ett antagande: de program som "
                      "presentationen 2022 räknar upp, så som regelpaketet namnger dem")


def read_counts(period: str, kommun: str | None = None, url: str | None = None):
    """(cells {cell: antal}, assessments {(kommun, band): antal}, safeguarding total) for a period."""
    c, b = UppfCell, UppfBedomning
    cell_q = select(c.kommunkod, c.aldersband, c.behov, c.niva, c.insats_id, c.utfall, c.antal).where(
        c.period == period, c.antal > 0).order_by(c.kommunkod, c.aldersband, c.behov, c.niva, c.insats_id, c.utfall)
    assess_q = select(b.kommunkod, b.aldersband, b.antal).where(b.period == period, b.antal > 0)
    if kommun is not None:
        cell_q = cell_q.where(c.kommunkod == kommun)
        assess_q = assess_q.where(b.kommunkod == kommun)
    with db.make_engine(url).connect() as conn:
        cells = {tuple(row[:6]): row[6] for row in conn.execute(cell_q)}
        assessments = {(row[0], row[1]): row[2] for row in conn.execute(assess_q)}
        skydd = conn.execute(select(func.coalesce(func.sum(UppfSkydd.antal), 0)).where(
            UppfSkydd.period == period)).scalar_one()
    return cells, assessments, int(skydd)


def periods(url: str | None = None) -> list[str]:
    with db.make_engine(url).connect() as conn:
        found = {row[0] for row in conn.execute(select(UppfBedomning.period).distinct())}
        found |= {row[0] for row in conn.execute(select(UppfSkydd.period).distinct())}
    return sorted(found)


def _coverage_counts(pack: Pack, day: dt.date) -> dict[str, dict[str, int]]:
    """The kartläggning's täckt/gap/okänd per kommun (engine/coverage.py), once per pack version and
    day (kartlaggning.py caches it for the report and the pages)."""
    return kartlaggning.summary(pack, day).per_kommun


def _kalla(document: str, section: str, quote: str | None = None) -> dict:
    out = {"document": document, "section": section}
    if quote:
        out["quote"] = quote
    return out


def pack_indicators(pack: Pack, kommuner: list[str], day: dt.date) -> list[dict]:
    """Indicators from the pack (no registrations): per kommun, and for the län (kommunkod null)."""
    out: list[dict] = []
    if "familjecentral" in pack.insatser:
        src = pack.insatser["familjecentral"].source
        for code in kommuner:
            status = pack.availability_status(code, "familjecentral", day).value
            out.append({"id": "familjecentral", "namn": "Familjecentral i kommunen (minst en per kommun)",
                        "malomrade": 2, "kommunkod": code, "varde": status,
                        "kalla": _kalla(src.document, src.section, src.quote)})
    counts = _coverage_counts(pack, day)
    total = {s.value: 0 for s in CellStatus}
    for c in counts.values():
        for key in total:
            total[key] += c.get(key, 0)
    out.extend(_okand(code, counts.get(code, {})) for code in kommuner)
    out.append(_okand(None, total))  # the län: always every kommun, also in one kommun's report
    programmes = [i for i in PROGRAM_IDS if i in pack.insatser]
    if programmes:
        offers = {code: any(pack.availability_status(code, i, day) == Availability.finns for i in programmes)
                  for code in pack.kommuner}
        out.extend(_program(code, offers[code]) for code in kommuner)
        out.append({**_program(None, sum(offers.values())), "av": len(offers)})
    return out


def _okand(code: str | None, counts: dict[str, int]) -> dict:
    cells = sum(counts.values())
    share = round(100.0 * counts.get(CellStatus.okand.value, 0) / cells, 1) if cells else None
    return {"id": "kartlaggning_okand_andel", "namn": "Andel av kartläggningens celler där det är okänt om stöd "
            "finns (procent)", "malomrade": 2, "kommunkod": code, "varde": share,
            "celler": {s.value: counts.get(s.value, 0) for s in CellStatus},
            "kalla": _kalla(STRATEGI, MAL2, "genomförs en kartläggning av befintliga föräldraskapsstödjande arenor, "
                            "vilka stödjande insatser och aktiviteter som genomförs samt vilka målgrupper som nås "
                            "inom respektive kommun.")}


def _program(code: str | None, value) -> dict:
    return {"id": "minst_ett_foraldraskapsprogram",
            "namn": "Kommunen erbjuder minst ett föräldraskapsprogram" if code else
                    "Kommuner som erbjuder minst ett föräldraskapsprogram",
            "malomrade": 2, "kommunkod": code, "varde": value, "antagande": PROGRAM_ASSUMPTION,
            "kalla": _kalla("presentation-2022", "Föräldraskapsstödsprogramsresan!",
                            "11 av 12 kommuner erbjuder minst ett föräldraskapsprogram")}


def build_report(pack: Pack, period: str, kommun: str | None = None, k: int | None = None,
                 url: str | None = None, day: dt.date | None = None, with_cells: bool = True) -> dict:
    """The body of GET /v1/uppfoljning (CONTRACT v3) for a period, the län or one kommun.
    `with_cells=False`: `celler` left empty (a page that shows only the indicators)."""
    cells, assessments, skydd = read_counts(period, kommun, url)
    return from_counts(pack, period, cells, assessments, skydd, kommun, k, day, with_cells)


_REPORTS: OrderedDict[tuple, dict] = OrderedDict()
_REPORTS_LOCK = threading.Lock()


def fingerprint(period: str, kommun: str | None = None, url: str | None = None) -> tuple:
    """(rows, sum of antal) of the period's three tables: counters only grow, so any registration
    written since changes it. One cheap query, no cell leaves the database."""
    c, b, s = UppfCell, UppfBedomning, UppfSkydd
    qc = select(func.count(), func.coalesce(func.sum(c.antal), 0)).where(c.period == period)
    qb = select(func.count(), func.coalesce(func.sum(b.antal), 0)).where(b.period == period)
    if kommun is not None:
        qc, qb = qc.where(c.kommunkod == kommun), qb.where(b.kommunkod == kommun)
    qs = select(func.count(), func.coalesce(func.sum(s.antal), 0)).where(s.period == period)
    with db.make_engine(url).connect() as conn:
        return tuple(tuple(conn.execute(q).one()) for q in (qc, qb, qs))


def cached_report(pack: Pack, period: str, kommun: str | None = None, url: str | None = None,
                  with_cells: bool = True) -> dict:
    """build_report, remembered while the period's counters are unchanged (the pages: the kommun
    page needs the län's report for its map too). The same body as build_report gives."""
    k = disclosure.k_value()
    key = (url, pack.name, pack.version, period, kommun, k, dt.date.today(), with_cells,
           fingerprint(period, kommun, url))
    with _REPORTS_LOCK:
        body = _REPORTS.get(key)
        if body is not None:
            _REPORTS.move_to_end(key)
            return body
    body = build_report(pack, period, kommun, k, url, with_cells=with_cells)
    with _REPORTS_LOCK:
        _REPORTS[key] = body
        while len(_REPORTS) > 16:
            _REPORTS.popitem(last=False)
    return body


def from_counts(pack: Pack, period: str, cells: dict, assessments: dict, skydd: int, kommun: str | None = None,
                k: int | None = None, day: dt.date | None = None, with_cells: bool = True) -> dict:
    """The report body from one period's counts as read_counts gives them (every figure through
    disclosure.protect)."""
    k = disclosure.k_value(k)
    published = disclosure.protect(cells, assessments, k)
    names = {code: km.name for code, km in pack.kommuner.items()}
    order = {code: i for i, code in enumerate(pack.kommuner)}
    band_rank = {b.key: i for i, b in enumerate(AGE_BANDS)}

    # the database orders by kommunkod, band, behov ('' first), nivå, insats, utfall; a stable sort
    # puts kommuner and bands in the pack's and the kartläggning's order
    rows = sorted(published.cells, key=lambda item: (order.get(item[0][0], 1 << 20), band_rank.get(item[0][1], 99))) \
        if with_cells else []
    celler = [{"kommun": names.get(c[0], c[0]), "kommunkod": c[0], "aldersband": BAND_LABELS.get(c[1], c[1]),
               "behov": c[2] or None, "niva": c[3], "insats_id": c[4], "utfall": c[5],
               "antal": n, "skyddad": n is None} for c, n in rows]
    kommuner = [kommun] if kommun else list(pack.kommuner)
    day = day or dt.date.today()
    indikatorer = pack_indicators(pack, kommuner, day)
    registered_in = {a[0] for a in assessments}
    for code in kommuner:
        value = published.unmet_per_100.get(code)
        registered = code in registered_in
        indikatorer.append({
            "id": "ej_tillgodosett_behov_per_100", "namn": "Rekommenderade insatser som saknas i kommunen, per "
            "100 registrerade bedömningar", "malomrade": 2, "kommunkod": code, "varde": value,
            "skyddad": registered and value is None,
            "kalla": _kalla(STRATEGI, MAL2, "utvecklas arbetssätt för att nå de föräldrar som inte nås.")})
    if kommun is None:
        indikatorer.append({
            "id": "bedomningar_skydd_lan", "namn": "Registrerade bedömningar med tecken på våld eller omsorgssvikt "
            "(hela länet; sparas aldrig per kommun eller behov)", "malomrade": 2, "kommunkod": None,
            "varde": skydd if skydd >= k else None, "skyddad": 0 < skydd < k,
            "kalla": _kalla(STRATEGI, "2. Varför en regional strategi?", "Föräldraskapsstöd är även viktigt för att "
                            "barn ska få sina rättigheter tillgodosedda och exempelvis skyddas från våld och annan "
                            "omsorgssvikt.")})
    return {"period": period, "k": k, "metod": disclosure.METHOD, "celler": celler, "indikatorer": indikatorer}


def csv_rows(body: dict) -> Iterator[tuple]:
    """CONTRACT v3: period,kommun,kommunkod,aldersband,behov,niva,insats_id,utfall,antal."""
    yield CSV_HEADER
    for c in body["celler"]:
        yield (body["period"], c["kommun"], c["kommunkod"], c["aldersband"], c["behov"] or "", c["niva"],
               c["insats_id"], c["utfall"], "" if c["antal"] is None else c["antal"])


def to_csv(body: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(csv_rows(body))
    return out.getvalue()


UTFALL_SV = {"erbjuden": "erbjuden", "saknas": "saknas i kommunen", "ej_erbjuden": "inte erbjuden"}


def _value_sv(ind: dict) -> str:
    v = ind["varde"]
    if v is None:
        return "skyddad" if ind.get("skyddad") else "ingen uppgift"
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if ind.get("av") is not None:
        return f"{v} av {ind['av']}"
    return str(v).replace(".", ",") if isinstance(v, float) else str(v)


def to_text(body: dict, pack: Pack) -> str:
    """The report for a terminal, in Swedish: the same figures as the JSON, nothing more."""
    names = {code: km.name for code, km in pack.kommuner.items()}
    lines = [f"Uppföljning {body['period']}", f"Skydd: celler under {body['k']} visas som 'skyddad' "
             f"({body['metod']}).", ""]
    by_kommun: dict = {}
    for ind in body["indikatorer"]:
        by_kommun.setdefault(ind["kommunkod"], []).append(ind)
    if None in by_kommun:
        lines.append("Länet")
        for ind in by_kommun.pop(None):
            lines.append(f"  {ind['namn']} (målområde {ind['malomrade']}): {_value_sv(ind)}")
        lines.append("")
    cells_by: dict = {}
    for c in body["celler"]:
        cells_by.setdefault(c["kommunkod"], []).append(c)
    for code, inds in by_kommun.items():
        lines.append(f"{names.get(code, code)} ({code})")
        for ind in inds:
            lines.append(f"  {ind['namn']} (målområde {ind['malomrade']}): {_value_sv(ind)}")
        cells = cells_by.get(code, [])
        if cells:
            lines.append("  Registrerade bedömningar: åldersband | behov | nivå | insats | utfall | antal")
            for c in cells:
                antal = "skyddad" if c["antal"] is None else str(c["antal"])
                lines.append(f"    {c['aldersband']} | {c['behov'] or 'inget särskilt behov'} | {c['niva']} | "
                             f"{c['insats_id']} | {UTFALL_SV.get(c['utfall'], c['utfall'])} | {antal}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
