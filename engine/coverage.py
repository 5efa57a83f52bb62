"""Kartläggning: for every kommun × age band × level, does the pack offer an insats there?

Pure: reads a Pack, knows nothing of HTTP or rendering.

How a cell is decided (kommun K, band B, level L, on a day D):

* The candidate rules are the rules of level L that are valid on D, apply in K (no `kommuner`
  or K among them) and reach B by age (see `rule_reaches_band`).
* For the universal level only rules without `needs_any`/`needs_all` count: universal support
  is for every family, not one that first has to be identified with a need.
* For the selective and indicated levels every rule counts, whatever needs it asks for: the
  question there is whether the kommun has something to offer when the need exists.
* The candidate insatser are those the candidate rules recommend (a recommendation carries the
  level of its rule, as in a decision). The cell is "finns" when at least one of them is
  available (finns) in K, "saknas" when there is none or every one is marked saknas, otherwise
  "okänd".

Age bands are inclusive month ranges. The pack reads "a–b år" as a*12 .. b*12 months, so a
range that ends exactly on a band's first month (BVC 0–6 år = 0..72 against 6–13 år = 72..155)
only touches the band on the birthday itself and does not count as reaching it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .loader import Pack
from .models import MAX_AGE_MONTHS, Availability, Level, Rule


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: str  # Swedish, as shown to users
    min: int | None  # None for the expecting band
    max: int | None

    @property
    def expecting(self) -> bool:
        return self.min is None


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("vantar", "Väntar barn", None, None),
    AgeBand("0-1", "0–1 år", 0, 11),
    AgeBand("1-3", "1–3 år", 12, 35),
    AgeBand("3-6", "3–6 år", 36, 71),
    AgeBand("6-13", "6–13 år", 72, 155),
    AgeBand("13-18", "13–18 år", 156, MAX_AGE_MONTHS),
)

LEVELS: tuple[Level, ...] = (Level.universell, Level.selektiv, Level.indikerad)


def rule_reaches_band(rule: Rule, band: AgeBand) -> bool:
    """True when a family in the band can satisfy the rule's age/expecting condition."""
    when = rule.when
    if when.age_months is None and not when.expecting:
        return True  # any age, expecting included (as in reference.rule_matches)
    if band.expecting:
        return when.expecting
    if when.age_months is None:
        return False
    lo = max(when.age_months.min, band.min)
    hi = min(when.age_months.max, band.max)
    if hi < lo:
        return False
    only_birthday = hi == lo and when.age_months.max == band.min and when.age_months.min < band.min
    return not only_birthday


def rule_applies_in(rule: Rule, kommun_code: str) -> bool:
    return not rule.when.kommuner or kommun_code in rule.when.kommuner


def counts_for_level(rule: Rule, level: Level) -> bool:
    if rule.level != level:
        return False
    if level == Level.universell:
        return not rule.when.needs_any and not rule.when.needs_all
    return True


@dataclass(frozen=True)
class Cell:
    kommun: str  # kommunkod
    band: str  # AgeBand.key
    level: Level
    status: Availability
    insatser: tuple[str, ...]  # candidate insats ids, pack order
    available: tuple[str, ...]  # those marked finns in the kommun


@dataclass
class CoverageMatrix:
    pack_name: str
    pack_version: str
    day: dt.date
    kommuner: list[tuple[str, str]]  # (code, name), pack order
    bands: tuple[AgeBand, ...] = AGE_BANDS
    levels: tuple[Level, ...] = LEVELS
    cells: dict[tuple[str, str, Level], Cell] = field(default_factory=dict)

    def cell(self, kommun_code: str, band_key: str, level: Level) -> Cell:
        return self.cells[(kommun_code, band_key, level)]

    def columns(self) -> list[tuple[AgeBand, Level]]:
        return [(b, lv) for b in self.bands for lv in self.levels]

    def counts(self) -> dict[Availability, int]:
        out = {a: 0 for a in Availability}
        for c in self.cells.values():
            out[c.status] += 1
        return out


def _status(pack: Pack, kommun_code: str, insatser: list[str]) -> tuple[Availability, tuple[str, ...]]:
    statuses = {i: pack.availability_status(kommun_code, i) for i in insatser}
    available = tuple(i for i in insatser if statuses[i] == Availability.finns)
    if available:
        return Availability.finns, available
    if all(s == Availability.saknas for s in statuses.values()):
        return Availability.saknas, ()
    return Availability.okand, ()


def compute_coverage(pack: Pack, day: dt.date | None = None) -> CoverageMatrix:
    day = day or dt.date.today()
    matrix = CoverageMatrix(
        pack_name=pack.name,
        pack_version=pack.version,
        day=day,
        kommuner=[(k.code, k.name) for k in pack.kommuner.values()],
    )
    valid = [r for r in pack.rules if r.recommend and r.valid_on(day)]
    for code, _name in matrix.kommuner:
        local = [r for r in valid if rule_applies_in(r, code)]
        for band in AGE_BANDS:
            reaching = [r for r in local if rule_reaches_band(r, band)]
            for level in LEVELS:
                insatser: list[str] = []
                for rule in reaching:
                    if counts_for_level(rule, level):
                        insatser.extend(i for i in rule.recommend if i not in insatser)
                status, available = _status(pack, code, insatser)
                matrix.cells[(code, band.key, level)] = Cell(
                    kommun=code, band=band.key, level=level, status=status,
                    insatser=tuple(insatser), available=available,
                )
    return matrix
