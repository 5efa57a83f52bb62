"""What the pages /uppfoljning and /uppfoljning/{kommunkod} show, in words: the indicators with
their målområde and passage, the kartläggning by nivå × åldersband, the registered assessments
(this period beside the one two years earlier: the strategy follows up "vartannat år"), the
round's answers and the map. The HTML is in templates/ (uppfoljning.html and its macros).

Every figure from registrations comes from `report.build_report`, that is from
`disclosure.protect`; nothing here adds cells up.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from engine.coverage import AGE_BANDS, LEVELS, CellStatus
from engine.loader import Pack

from . import disclosure, karta, kartlaggning, omgang, report
from .cells import FIRST_PERIOD

UTFALL_COLUMNS = (("erbjuden", "Erbjuden"), ("saknas", "Saknas i kommunen"), ("ej_erbjuden", "Inte erbjuden"))
LEVEL_WORDS = {"universell": "Universell", "selektiv": "Selektiv", "indikerad": "Indikerad"}
DOCUMENTS = {"strategi-2024": "Regional strategi för föräldraskapsstöd 2024–2030",
             "presentation-2022": "Presentationen av föräldraskapsstödet 2022"}
NO_ROUND = "Ingen uppföljningsomgång är avslutad ännu."

# The round's answers (issue 20, item 4) come from the workspace when it has them: a function
# (pack, kommunkod or None, period) -> None or {"namn", "avslutad", "kommuner": [{"kommun",
# "status", "svar": [{"fraga", "kalla", "svar"}], "beskrivning"}]}; no_round gives none.
RoundAnswers = Callable[[Pack, "str | None", str], "dict | None"]


def no_round(pack: Pack, kommun: str | None, period: str) -> dict | None:
    return None


round_answers: RoundAnswers = omgang.round_answers  # service/uppfoljning/omgang.py


class Unavailable(Exception):
    """The database of the registrations cannot be read."""


def _fmt_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def value_text(ind: dict | None) -> str:
    """An indicator's value in Swedish, as the table shows it."""
    if ind is None:
        return "ingen uppgift"
    v = ind["varde"]
    if v is None:
        return "skyddad" if ind.get("skyddad") else "ingen uppgift"
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if ind["id"] == "familjecentral":
        return {"finns": "finns", "saknas": "saknas", "okänd": "okänt"}.get(v, str(v))
    if ind["id"] == "kartlaggning_okand_andel":
        c = ind.get("celler") or {}
        return f"{_fmt_number(v)} % ({c.get('okänd', 0)} av {sum(c.values())} celler)"
    if ind.get("av") is not None:
        return f"{v} av {ind['av']}"
    return _fmt_number(v)


def source_text(kalla: dict) -> dict:
    return {"document": DOCUMENTS.get(kalla["document"], kalla["document"]), "section": kalla["section"],
            "quote": kalla.get("quote", "")}


def periods_to_show(period: str) -> tuple[str, str | None]:
    previous = str(int(period) - 2)
    return period, previous if int(previous) >= FIRST_PERIOD else None


def report_or_none(pack: Pack, period: str, code: str | None, url: str | None,
                   with_cells: bool = True) -> dict | None:
    """The protected report, or None when there is no database (the page says so)."""
    if url is None:
        return None
    try:
        return report.cached_report(pack, period, code, url, with_cells)
    except Exception:  # noqa: BLE001 - the database: the page shows the rest
        return None


def pack_only(pack: Pack, period: str, code: str | None) -> dict:
    """The report without registrations (no database): the pack's indicators only."""
    kommuner = [code] if code else list(pack.kommuner)
    return {"period": period, "k": disclosure.k_value(), "metod": disclosure.METHOD, "celler": [],
            "indikatorer": report.pack_indicators(pack, kommuner, dt.date.today())}


def _by(body: dict | None, ind_id: str) -> dict[str | None, dict]:
    return {i["kommunkod"]: i for i in (body or {}).get("indikatorer", []) if i["id"] == ind_id}


def indicator_rows(body: dict, previous: dict | None, code: str | None) -> list[dict]:
    """One row per indicator of the scope (the län's, or one kommun's): value, the value two years
    earlier when it comes from registrations, målområde and source."""
    rows = []
    prev = {(i["id"], i["kommunkod"]): i for i in (previous or {}).get("indikatorer", [])}
    for ind in body["indikatorer"]:
        if ind["kommunkod"] != code:
            continue
        from_registrations = ind["id"] in ("ej_tillgodosett_behov_per_100", "bedomningar_skydd_lan")
        rows.append({"id": ind["id"], "namn": ind["namn"], "value": value_text(ind),
                     "previous": value_text(prev.get((ind["id"], code))) if previous and from_registrations
                     else "", "malomrade": ind["malomrade"], "kalla": source_text(ind["kalla"]),
                     "antagande": ind.get("antagande", "")})
    return rows


def kommun_rows(pack: Pack, body: dict, previous: dict | None, query: str) -> list[dict]:
    """The län page: one row per kommun with its indicators (the same figures as the map)."""
    fc, okand = _by(body, "familjecentral"), _by(body, "kartlaggning_okand_andel")
    prog, unmet = _by(body, "minst_ett_foraldraskapsprogram"), _by(body, "ej_tillgodosett_behov_per_100")
    unmet_prev = _by(previous, "ej_tillgodosett_behov_per_100")
    return [{"code": code, "name": km.name, "href": f"/uppfoljning/{code}{query}",
             "familjecentral": value_text(fc.get(code)), "okand": value_text(okand.get(code)),
             "program": value_text(prog.get(code)), "unmet": value_text(unmet.get(code)),
             "unmet_previous": value_text(unmet_prev.get(code)) if previous is not None else ""}
            for code, km in pack.kommuner.items()]


def coverage_table(pack: Pack, code: str | None) -> dict:
    """The kartläggning by nivå × åldersband (engine/coverage.py through kartlaggning.summary)."""
    s = kartlaggning.summary(pack)
    counts = kartlaggning.by_level_band(s, code)
    rows = []
    for lv in LEVELS:
        cells = []
        for b in AGE_BANDS:
            c = counts[(lv.value, b.key)]
            total = sum(c.values())
            share = f"{_fmt_number(round(100.0 * c[CellStatus.okand.value] / total, 1))} %" if total else "–"
            cells.append({"total": total, "tackt": c[CellStatus.tackt.value], "gap": c[CellStatus.gap.value],
                          "okand": c[CellStatus.okand.value], "share": share, "context": f"{lv.value}, {b.label}"})
        rows.append({"label": LEVEL_WORDS[lv.value], "cells": cells})
    per = s.per_kommun if code is None else {code: s.per_kommun.get(code, {})}
    tot = {st.value: sum(c.get(st.value, 0) for c in per.values()) for st in CellStatus}
    n = sum(tot.values())
    return {"bands": [b.label for b in AGE_BANDS], "rows": rows, "tackt": tot["täckt"], "gap": tot["gap"],
            "okand": tot["okänd"], "total": n,
            "okand_share": f"{_fmt_number(round(100.0 * tot['okänd'] / n, 1))} %" if n else "–"}


def registration_tables(pack: Pack, body: dict | None, previous: dict | None, period: str,
                        previous_period: str | None) -> list[dict]:
    """One table per åldersband: a row per behov × nivå × insats, the utfall columns for this
    period and the one two years earlier. A figure is the protected cell's (`antal`, or
    "skyddad"); a cell not in the report is zero."""
    # the period two years earlier beside this one, when anything was registered then
    shown_previous = previous_period and previous is not None and previous["celler"]
    periods = [(period, body)] + ([(previous_period, previous)] if shown_previous else [])
    index: dict[tuple, dict[str, dict]] = {}
    for p, b in periods:
        for c in (b or {}).get("celler", []):
            key = (c["aldersband"], c["behov"] or "", c["niva"], c["insats_id"])
            index.setdefault(key, {}).setdefault(p, {})[c["utfall"]] = c
    need_order = {code: i for i, code in enumerate(pack.needs)}
    level_rank = {lv.value: i for i, lv in enumerate(LEVELS)}
    tables = []
    for n, band in enumerate(AGE_BANDS):
        keys = sorted((k for k in index if k[0] == band.label),
                      key=lambda k: (need_order.get(k[1], -1), level_rank.get(k[2], 9), k[3]))
        if not keys:
            continue
        rows = []
        for key in keys:
            _band, behov, niva, insats = key
            figures = []
            for p, _b in periods:
                for utfall, label in UTFALL_COLUMNS:
                    c = index[key].get(p, {}).get(utfall)
                    figures.append({"text": "0" if c is None else "skyddad" if c["skyddad"] else str(c["antal"]),
                                    "skyddad": bool(c and c["skyddad"]), "utfall": utfall, "label": label,
                                    "period": p})
            need = pack.needs.get(behov)
            ins = pack.insatser.get(insats)
            rows.append({"behov": need.label if need else "Inget särskilt behov", "niva": niva,
                         "insats": ins.name if ins else insats, "figures": figures})
        tables.append({"id": f"reg-{n}", "band": band.label, "rows": rows})
    return tables


def links(period: str, code: str | None) -> dict:
    q = {"period": period, **({"kommun": code} if code else {})}
    page = f"/uppfoljning/{code}" if code else "/uppfoljning"
    return {"csv": "/uppfoljning.csv?" + urlencode(q), "json": "/v1/uppfoljning?" + urlencode(q),
            "print": page + "?" + urlencode({"period": period, "utskrift": "1"})}


def context(pack: Pack, period: str, code: str | None, url: str | None, choice: str, printing: bool) -> dict:
    """Everything the template needs for the län (code None) or one kommun."""
    this, previous_period = periods_to_show(period)
    body = report_or_none(pack, this, code, url, with_cells=code is not None)  # the län page shows no cells
    database = body is not None
    if body is None:
        body = pack_only(pack, this, code)
    previous = report_or_none(pack, previous_period, code, url, with_cells=code is not None) \
        if previous_period and database else None
    query = "?" + urlencode({"period": period, **({"karta": choice} if choice != karta.DEFAULT else {})})
    # the map: always the whole pack (the län, or the country for a national pack)
    map_body = body if code is None else (report_or_none(pack, this, None, url, with_cells=False)
                                          if database else None) or pack_only(pack, this, None)
    wanted = karta.indicator_id(choice)
    by_kommun = {i["kommunkod"]: i for i in map_body["indikatorer"] if i["id"] == wanted and i["kommunkod"]}
    the_map = karta.build([(c, k.name) for c, k in pack.kommuner.items()], by_kommun, choice, current=code,
                          query=query)
    name = pack.kommuner[code].name if code else None
    return {
        "scope_name": name or "länet", "kommun_code": code, "kommun_name": name, "period": this,
        "previous_period": previous_period, "database": database, "k": body["k"], "metod": body["metod"],
        "indicators": indicator_rows(body, previous, code),
        "kommuner": kommun_rows(pack, body, previous, query) if code is None else [],
        "coverage": coverage_table(pack, code),
        "registrations": registration_tables(pack, body, previous, this, previous_period) if code else [],
        "utfall_columns": UTFALL_COLUMNS,
        "round": round_answers(pack, code, this), "no_round": NO_ROUND,
        "map": the_map, "links": links(this, code), "printing": printing,
        "period_options": [str(y) for y in range(dt.date.today().year, FIRST_PERIOD - 1, -1)],
        "today": dt.date.today().isoformat(),
    }
