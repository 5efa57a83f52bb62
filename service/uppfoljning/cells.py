"""The cell model: from one registered assessment (a request, its decision and the insatser that
were offered) to the counters it adds to.

One assessment adds
* one to `uppf_bedomning` (period, kommun, åldersband), and
* one per recommended insats to `uppf_cell` (period, kommun, åldersband, behov, nivå, insats,
  utfall). `behov` is the first of the family's needs (pack order) that led to the insats, or
  none for support every family of the age is offered; so the cells of one insats add up to the
  number of assessments it was recommended in. `utfall`: `erbjuden` when ticked, else `saknas`
  when the kommun lacks the insats (the unmet need), else `ej_erbjuden`.

An assessment with a safeguarding need (`vald_eller_omsorgssvikt`, or a need the pack marks
`sensitive: true`) adds one to the län-wide `uppf_skydd` of its period and nothing else: no
kommun, no age, no need, no insats.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.coverage import AGE_BANDS, AgeBand
from engine.loader import Pack

from service.core.errors import ApiError, ErrorItem

SAFEGUARDING_NEEDS = frozenset({"vald_eller_omsorgssvikt"})
UTFALL = ("erbjuden", "saknas", "ej_erbjuden")
FIRST_PERIOD = 2024  # Regional strategi för föräldraskapsstöd 2024–2030: the first year to follow up
BAND_LABELS = {b.key: b.label for b in AGE_BANDS}

CellKey = tuple[str, str, str, str, str, str, str]  # period, kommunkod, band, behov ('' = none), nivå, insats, utfall
AssessmentKey = tuple[str, str, str]  # period, kommunkod, band


@dataclass(frozen=True)
class Registration:
    """What one assessment adds: either `cells` + `assessment`, or only `safeguarding`."""

    period: str
    cells: tuple[CellKey, ...] = ()
    assessment: AssessmentKey | None = None
    safeguarding: bool = False


@dataclass
class Invalid(Exception):
    items: list[ErrorItem] = field(default_factory=list)


def sensitive_needs(pack: Pack) -> frozenset[str]:
    """The needs never stored per kommun or per need: vald_eller_omsorgssvikt and any need the
    pack marks `sensitive: true`."""
    return SAFEGUARDING_NEEDS | {code for code, need in pack.needs.items() if getattr(need, "sensitive", False)}


def band_of(age_months: int | None, expecting: bool) -> AgeBand:
    """The kartläggning's åldersband (engine/coverage.py) for an age."""
    if expecting or age_months is None:
        return AGE_BANDS[0]
    for band in AGE_BANDS[1:]:
        if band.min <= age_months <= band.max:
            return band
    return AGE_BANDS[-1]


def period_of(day: dt.date, today: dt.date | None = None) -> str:
    """The period (calendar year) of the day the rules were applied for; ApiError 422 when it lies
    in no period: before the strategy's first year or in the future."""
    today = today or dt.date.today()
    if day.year < FIRST_PERIOD or day > today:
        raise ApiError(422, [ErrorItem(
            field="date",
            sv=f"datumet hör inte till någon uppföljningsperiod (kalenderåren {FIRST_PERIOD}–{today.year}, "
               "till och med i dag)",
            en=f"the date lies in no follow-up period (calendar years {FIRST_PERIOD}–{today.year}, up to today)")])
    return str(day.year)


def parse_erbjudna(value: Any, pack: Pack) -> list[str]:
    """`erbjudna` as a list of known insats ids; ApiError 422 naming the item otherwise."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 100:
        raise ApiError(422, [ErrorItem(field="erbjudna", sv="ska vara en lista med insats-id (högst 100)",
                                       en="must be a list of insats ids (at most 100)")])
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or item not in pack.insatser:
            raise ApiError(422, [ErrorItem(
                field=f"erbjudna[{i}]", sv="okänd insats (se GET /v1/insatser)", en="unknown insats")])
        if item not in out:
            out.append(item)
    return out


def first_need(triggered: Sequence[str], order: Mapping[str, int]) -> str:
    return min(triggered, key=lambda code: order.get(code, 1 << 30)) if triggered else ""


def build(pack: Pack, *, kommun: str, age_months: int | None, expecting: bool, needs: Sequence[str],
          period: str, recommendations: Sequence[Mapping[str, Any]], erbjudna: Sequence[str]) -> Registration:
    """The counters one assessment adds. `kommun` is the kommunkod, `recommendations` the decision's
    (CONTRACT: insats_id, level, availability, triggered_by). ApiError 422 when an offered insats
    was not recommended."""
    recommended = [r["insats_id"] for r in recommendations]
    for i, insats in enumerate(erbjudna):
        if insats not in recommended:
            raise ApiError(422, [ErrorItem(
                field=f"erbjudna[{i}]",
                sv="insatsen rekommenderades inte för den här familjen; bocka bara för rekommenderade insatser",
                en="the insats was not recommended for this family")])
    if set(needs) & sensitive_needs(pack):
        return Registration(period=period, safeguarding=True)
    band = band_of(age_months, expecting).key
    order = {code: i for i, code in enumerate(pack.needs)}
    offered = set(erbjudna)
    cells = []
    for rec in recommendations:
        insats = rec["insats_id"]
        if insats in offered:
            utfall = "erbjuden"
        elif rec.get("availability") == "saknas":
            utfall = "saknas"
        else:
            utfall = "ej_erbjuden"
        behov = first_need(rec.get("triggered_by") or (), order)
        cells.append((period, kommun, band, behov, rec["level"], insats, utfall))
    return Registration(period=period, cells=tuple(cells), assessment=(period, kommun, band))
