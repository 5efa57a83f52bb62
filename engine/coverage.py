"""Kartläggning: for every kommun × åldersband × behov (and "inget behov"), is there support?

Pure: reads a Pack, knows nothing of HTTP or rendering. The strategy asks to "se var gapen
finns" (målområde 2); a cell answers that for one kind of family in one kommun.

How a cell is decided (kommun K, band B, behov N or none, on a day D):

* The candidate rules are the rules valid on D that apply in K, reach B by age (see
  `rule_reaches_band`) and are triggered by N alone: N among `needs_any`, or `needs_all` only
  N. For "inget behov" they are the rules without any need condition (universal support).
* The candidate insatser are those the candidate rules recommend.
* `täckt`: at least one candidate insats `finns` in K on D; `gap`: there is no candidate, or
  every one `saknas` in K; `okänd` otherwise (some availability not known).
* On what a `täckt` cell rests (`Cell.basis`): `källa` or `kommunens uppgift` when some insats
  that finns rests on one (a source first), `antagande` when every one that finns is only assumed.
  Why a cell is a `gap` (`Cell.gap_reason`): `inget_rekommenderas` (no rule recommends anything)
  or `alla_saknas` (every recommended insats is missing in K).
* Only rules that recommend (`present_as: rekommendation`) count: programmes used in the län
  are not support the family is recommended, so they cover nothing.
* A need that cannot arise in a band has no cell there: `Need.expecting` false (the child's
  needs before birth) or the band outside `Need.age_months` (skolk before school age).

`niva` of a cell is the highest level among its candidate rules; with none, the highest level of
any rule in the pack asking for the need (what the support would have been); "inget behov" is
universell.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

from .loader import Pack
from .models import MAX_AGE_MONTHS, Availability, AvailabilityBasis, Level, PresentAs, Rule


class CellStatus(str, Enum):
    tackt = "täckt"
    gap = "gap"
    okand = "okänd"


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: str  # Swedish, as shown to users
    min: int | None  # None for the expecting band
    max: int | None

    @property
    def expecting(self) -> bool:
        return self.min is None


# whole years: "1–2 år" = 12..35 months (the 3rd birthday starts the next band)
AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("vantar", "Väntar barn", None, None),
    AgeBand("0", "0 år", 0, 11),
    AgeBand("1-2", "1–2 år", 12, 35),
    AgeBand("3-5", "3–5 år", 36, 71),
    AgeBand("6-12", "6–12 år", 72, 155),
    AgeBand("13-18", "13–18 år", 156, MAX_AGE_MONTHS),
)

LEVELS: tuple[Level, ...] = (Level.universell, Level.selektiv, Level.indikerad)
NO_NEED = ""  # the behov key of "inget behov" (universal support); empty in the CSV
NO_NEED_LABEL = "Inget särskilt behov (universellt stöd)"


def rule_reaches_band(rule: Rule, band: AgeBand) -> bool:
    """True when some family in the band satisfies the rule's age/expecting condition."""
    when = rule.when
    if when.age_months is None and not when.expecting:
        return True  # any age, expecting included (as in reference.rule_matches)
    if band.expecting:
        return when.expecting
    if when.age_months is None:
        return False
    return max(when.age_months.min, band.min) <= min(when.age_months.max, band.max)


def rule_applies_in(rule: Rule, kommun_code: str) -> bool:
    return not rule.when.kommuner or kommun_code in rule.when.kommuner


def rule_serves(rule: Rule, need: str) -> bool:
    """The rule fires for a family whose only need is `need` ("" = no need at all)."""
    when = rule.when
    if need == NO_NEED:
        return not when.needs_any and not when.needs_all
    if when.needs_all and set(when.needs_all) != {need}:
        return False
    return need in when.needs_any or (not when.needs_any and set(when.needs_all) == {need})


@dataclass(frozen=True)
class InsatsInCell:
    insats: str
    name: str
    availability: Availability
    basis: AvailabilityBasis | None
    reason: str | None
    verified: dt.date | None
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    kommun: str  # kommunkod
    band: str  # AgeBand.key
    need: str  # need code, or NO_NEED
    level: Level | None
    status: CellStatus
    insatser: tuple[InsatsInCell, ...]  # pack order of the rules

    @property
    def insats_ids(self) -> tuple[str, ...]:
        return tuple(i.insats for i in self.insatser)

    @property
    def basis(self) -> str:
        """For a täckt cell: källa | kommunens uppgift | antagande (the strongest basis among the
        insatser that finns); "" otherwise."""
        if self.status is not CellStatus.tackt:
            return ""
        bases = {i.basis for i in self.insatser if i.availability == Availability.finns}
        for basis in (AvailabilityBasis.kalla, AvailabilityBasis.kommunens_uppgift):
            if basis in bases:
                return basis.value
        return AvailabilityBasis.antagande.value

    @property
    def gap_reason(self) -> str:
        """For a gap: inget_rekommenderas | alla_saknas; "" otherwise."""
        if self.status is not CellStatus.gap:
            return ""
        return "alla_saknas" if self.insatser else "inget_rekommenderas"


@dataclass
class CoverageMatrix:
    pack_name: str
    pack_version: str
    day: dt.date
    kommuner: list[tuple[str, str]]  # (code, name), pack order
    needs: list[tuple[str, str]]  # (code, label), NO_NEED first
    bands: tuple[AgeBand, ...] = AGE_BANDS
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    # the oldest and newest `verified` date in the pack's availability data (None without any)
    verified_range: tuple[dt.date, dt.date] | None = None

    def cell(self, kommun_code: str, band_key: str, need: str) -> Cell | None:
        """None where the need cannot arise in the band."""
        return self.cells.get((kommun_code, band_key, need))

    def counts(self, kommun_code: str | None = None) -> dict[CellStatus, int]:
        out = {s: 0 for s in CellStatus}
        for c in self.cells.values():
            if kommun_code is None or c.kommun == kommun_code:
                out[c.status] += 1
        return out

    def rows(self):
        """Cells in CSV order: kommun, band, need."""
        for code, _name in self.kommuner:
            for band in self.bands:
                for need, _label in self.needs:
                    c = self.cells.get((code, band.key, need))
                    if c is not None:
                        yield c


def need_applies(pack: Pack, need: str, band: AgeBand) -> bool:
    if need == NO_NEED:
        return True
    n = pack.needs[need]
    if band.expecting:
        return n.expecting
    if n.age_months is None:
        return True
    return max(n.age_months.min, band.min) <= min(n.age_months.max, band.max)


def compute_coverage(pack: Pack, day: dt.date | None = None) -> CoverageMatrix:
    day = day or dt.date.today()
    needs = [(NO_NEED, NO_NEED_LABEL), *((c, n.label) for c, n in pack.needs.items())]
    matrix = CoverageMatrix(
        pack_name=pack.name, pack_version=pack.version, day=day,
        kommuner=[(k.code, k.name) for k in pack.kommuner.values()], needs=needs,
    )
    verified = [e.verified for e in pack.availability.values() if e.verified]
    matrix.verified_range = (min(verified), max(verified)) if verified else None
    # programmes used in the län are shown apart, never as support for a family: not coverage
    with_insats = [r for r in pack.rules if r.recommend and r.present_as is PresentAs.rekommendation]
    fallback_level: dict[str, Level | None] = {NO_NEED: Level.universell}
    for code, _label in needs[1:]:
        levels = [r.level for r in with_insats if rule_serves(r, code)]
        fallback_level[code] = max(levels, key=lambda lv: lv.rank) if levels else None
    valid = [r for r in with_insats if r.valid_on(day)]
    for kommun, _name in matrix.kommuner:
        local = [r for r in valid if rule_applies_in(r, kommun)]
        for band in AGE_BANDS:
            reaching = [r for r in local if rule_reaches_band(r, band)]
            for need, _label in needs:
                if not need_applies(pack, need, band):
                    continue
                rules = [r for r in reaching if rule_serves(r, need)]
                by_insats: dict[str, list[str]] = {}
                for r in rules:
                    for i in r.recommend:
                        by_insats.setdefault(i, []).append(r.id)
                items = []
                for insats_id, rule_ids in by_insats.items():
                    entry = pack.availability_of(kommun, insats_id)
                    avail = entry.status_on(day) if entry else Availability.okand
                    items.append(InsatsInCell(
                        insats=insats_id, name=pack.insatser[insats_id].name, availability=avail,
                        basis=entry.basis if entry and avail != Availability.okand else None,
                        reason=entry.reason if entry else None,
                        verified=entry.verified if entry else None, rule_ids=tuple(rule_ids)))
                if any(i.availability == Availability.finns for i in items):
                    status = CellStatus.tackt
                elif all(i.availability == Availability.saknas for i in items):
                    status = CellStatus.gap  # also when nothing is recommended
                else:
                    status = CellStatus.okand
                level = max((r.level for r in rules), key=lambda lv: lv.rank) if rules else fallback_level[need]
                matrix.cells[(kommun, band.key, need)] = Cell(
                    kommun=kommun, band=band.key, need=need, level=level, status=status, insatser=tuple(items))
    return matrix


CSV_HEADER = ("kommun", "kommunkod", "aldersband", "behov", "niva", "status", "insatser", "grund", "gap_orsak")


def csv_rows(matrix: CoverageMatrix):
    """CONTRACT v2: kommun,kommunkod,aldersband,behov,niva,status,insatser (ids joined by ;), then
    two added columns: grund (of a täckt cell: källa | kommunens uppgift | antagande) and
    gap_orsak (of a gap: inget_rekommenderas | alla_saknas)."""
    names = dict(matrix.kommuner)
    labels = {b.key: b.label for b in matrix.bands}
    yield CSV_HEADER
    for c in matrix.rows():
        yield (names[c.kommun], c.kommun, labels[c.band], c.need, c.level.value if c.level else "",
               c.status.value, ";".join(c.insats_ids), c.basis, c.gap_reason)
