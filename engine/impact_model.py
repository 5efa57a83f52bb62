"""What Effekt reports: the kinds of change, a change, groups of changed profiles, the summary
cells and the Impact itself, and the changes between two answer parts (`diff_parts`).

Data only; engine/impact.py computes an Impact, engine/impact_report.py summarises it.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

from .coverage import AGE_BANDS, AgeBand
from .models import Level
from .population import Population
from .profiles import Profile


class ChangeKind(str, Enum):
    tillagd = "tillagd"
    borttagen = "borttagen"
    niva = "nivå"
    tillganglighet = "tillgänglighet"
    meddelande = "meddelande"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    ChangeKind.tillagd: "Insats tillagd",
    ChangeKind.borttagen: "Insats borttagen",
    ChangeKind.niva: "Nivå ändrad",
    ChangeKind.tillganglighet: "Tillgänglighet ändrad",
    ChangeKind.meddelande: "Meddelande ändrat",
}
_KIND_ORDER = {k: i for i, k in enumerate(ChangeKind)}


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    insats: str | None  # None for a notice
    level: Level  # the nivå the change is summarised under
    before: str | None
    after: str | None

    def describe(self) -> str:
        """Swedish, one line."""
        what = self.insats or "meddelande"
        if self.kind == ChangeKind.tillagd:
            return f"{what}: tillagd ({self.after})"
        if self.kind == ChangeKind.borttagen:
            return f"{what}: borttagen (var {self.before})"
        if self.kind == ChangeKind.meddelande:
            return f"meddelande {'tillagt' if self.after else 'borttaget'}: {self.after or self.before}"
        return f"{what}: {self.kind.value} {self.before} → {self.after}"


@dataclass(frozen=True)
class ProfileGroup:
    """Changed profiles of one kommun and need set, at consecutive ages in one åldersband."""

    kommun: str
    band: str  # AgeBand.key
    age_min: int | None  # None: expecting
    age_max: int | None
    needs: tuple[str, ...]
    changes: tuple[Change, ...]

    @property
    def expecting(self) -> bool:
        return self.age_min is None

    @property
    def profiles(self) -> int:
        return 1 if self.age_min is None else self.age_max - self.age_min + 1

    def ages(self) -> Iterator[int | None]:
        if self.age_min is None:
            yield None
        else:
            yield from range(self.age_min, self.age_max + 1)


@dataclass
class ImpactCell:
    kommun: str
    band: str
    level: Level
    profiles: int = 0  # changed profiles with a change on this level
    profiles_in_band: int = 0  # every profile of the kommun and band
    kinds: dict[ChangeKind, int] = field(default_factory=dict)  # profiles with a change of the kind
    insatser: list[str] = field(default_factory=list)
    examples: list[ProfileGroup] = field(default_factory=list)
    children: float | None = None
    children_without_need: float | None = None
    _months: set = field(default_factory=set, repr=False)
    _months_no_need: set = field(default_factory=set, repr=False)


@dataclass
class RuleDiff:
    added: list[str]
    removed: list[str]
    changed: list[str]  # in anything an answer depends on
    text_only: list[str]  # only texts or provenance changed
    availability: list[tuple[str, str]]  # (kommun, insats) whose availability entry changed


@dataclass
class Impact:
    old_version: str
    new_version: str
    day: dt.date
    kommuner: dict[str, str]  # code -> name, new pack order
    total_profiles: int
    changed_profiles: int
    groups: list[ProfileGroup]
    cells: dict[tuple[str, str, Level], ImpactCell]
    kinds: dict[ChangeKind, int]  # changed profiles with a change of the kind
    by_insats: dict[str, int]  # changed profiles with a change concerning the insats
    diff: RuleDiff
    general_notices: tuple[tuple[str, ...], tuple[str, ...]]  # (before, after) when they differ, else ((), ())
    added_kommuner: list[str]
    removed_kommuner: list[str]
    added_needs: list[str]
    removed_needs: list[str]
    population: Population | None
    children: float | None  # children at ages (per kommun) where some profile changes
    children_without_need: float | None
    evaluated: int  # profile classes examined: kommun class × age interval × need-set class

    @property
    def bands(self) -> tuple[AgeBand, ...]:
        return AGE_BANDS

    def cell_list(self) -> list[ImpactCell]:
        order = {c: i for i, c in enumerate(self.kommuner)}
        bands = {b.key: i for i, b in enumerate(AGE_BANDS)}
        return sorted(self.cells.values(), key=lambda c: (order.get(c.kommun, 1 << 30), bands[c.band], c.level.rank))

    def profile_changes(self) -> Iterator[tuple[Profile, tuple[Change, ...]]]:
        """Every changed profile with its changes (expands the groups)."""
        for g in self.groups:
            for age in g.ages():
                yield (g.kommun, age, g.needs), g.changes


# --------------------------------------------------------------------------- answer parts
def _value(x):
    return getattr(x, "value", x)


def _avail_text(availability: str, basis: str | None) -> str:
    return f"{availability} ({basis})" if basis else availability


def diff_parts(old_items: dict, new_items: dict, old_notices: Counter, new_notices: Counter) -> tuple[Change, ...]:
    """The changes between two answer parts. items: insats -> (Level, availability, basis);
    notices: Counter of (severity, text, Level)."""
    out: list[Change] = []
    for insats in old_items.keys() | new_items.keys():
        o = old_items.get(insats)
        n = new_items.get(insats)
        if o == n:
            continue
        if o is None:
            out.append(Change(ChangeKind.tillagd, insats, n[0], None, f"{n[0].value}, {_avail_text(n[1], n[2])}"))
        elif n is None:
            out.append(Change(ChangeKind.borttagen, insats, o[0], f"{o[0].value}, {_avail_text(o[1], o[2])}", None))
        else:
            if o[0] != n[0]:
                out.append(Change(ChangeKind.niva, insats, n[0], o[0].value, n[0].value))
            if o[1:] != n[1:]:
                out.append(Change(ChangeKind.tillganglighet, insats, n[0], _avail_text(o[1], o[2]),
                                  _avail_text(n[1], n[2])))
    if old_notices != new_notices:
        for sev, text, level in old_notices - new_notices:
            out.append(Change(ChangeKind.meddelande, None, level, f"{sev}: {text}", None))
        for sev, text, level in new_notices - old_notices:
            out.append(Change(ChangeKind.meddelande, None, level, None, f"{sev}: {text}"))
    out.sort(key=lambda c: (_KIND_ORDER[c.kind], c.insats or "", c.before or "", c.after or ""))
    return tuple(out)


_diff = diff_parts
