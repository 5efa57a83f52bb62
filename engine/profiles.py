"""The profile space Effekt and the never-silent checks enumerate: every kommun × (every age
month 0–216, and expecting) × (no need, every single need, every pair of needs)."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .loader import Pack
from .models import MAX_AGE_MONTHS, NormalizedFamily

AGES: tuple[int, ...] = tuple(range(MAX_AGE_MONTHS + 1))
Profile = tuple[str, "int | None", tuple[str, ...]]  # (kommunkod, age in months or None = expecting, needs)


@dataclass(frozen=True)
class ProfileSpace:
    kommuner: tuple[str, ...]
    ages: tuple[int | None, ...]  # None: expecting
    need_sets: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.kommuner) * len(self.ages) * len(self.need_sets)

    def __iter__(self) -> Iterator[Profile]:
        for k in self.kommuner:
            for age in self.ages:
                for needs in self.need_sets:
                    yield k, age, needs


def need_sets(codes: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    codes = list(codes)
    return ((), *((c,) for c in codes), *itertools.combinations(codes, 2))


def profile_space(pack: Pack) -> ProfileSpace:
    """Every kommun × (every age month 0–216, and expecting) × (no need, each need, each pair)."""
    return ProfileSpace(tuple(pack.kommuner), (*AGES, None), need_sets(pack.needs))


def family_of(profile: Profile, day: dt.date) -> NormalizedFamily:
    kommun, age, needs = profile
    return NormalizedFamily.model_construct(kommun=kommun, age_months=age, expecting=age is None,
                                            needs=frozenset(needs), date=day)
