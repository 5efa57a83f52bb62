"""Disclosure control: `protect` is the one function every figure from registrations passes on
its way out (JSON, CSV, CLI text; the pages later). Nothing else reads the counters for output.

Method: threshold rule plus secondary suppression (docs/uppfoljning.md says why not the cell
key method).

1. Primary: a cell under k is protected (`antal: null, skyddad: true`).
2. Secondary: the cells of one insats in one kommun, åldersband, behov and nivå (the utfall
   group: erbjuden + saknas + ej_erbjuden) add up to the number of assessments the insats was
   recommended in, and that total can be known from elsewhere (every family of a band gets the
   same universal insatser, so another insats's group shows it). A group with exactly one
   protected cell therefore gets a second one protected too: the smallest other cell. No
   margin, total or second table over cells is published.
3. The one figure derived from several cells, the unmet need per 100 registrations of a kommun
   (100 × cells `saknas` / assessments), is published only when none of the kommun's `saknas`
   cells is protected (else the ratio would give their sum), the kommun has at least k
   assessments, and no åldersband of the kommun has between 1 and k−1 (else the total it lets
   one work out, minus the bands visible elsewhere, would give a small band's size).

The cells of a kommun are protected the same way in the län's report and in the kommun's own,
so comparing the two reveals nothing either.
"""
from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

K_ENV = "FORALDRASTOD_UPPFOLJNING_K"
DEFAULT_K = 5
METHOD = ("tröskelregel och sekundär undertryckning: celler under k visas inte, och i varje grupp "
          "av celler (en insats i en kommun, ett åldersband, ett behov och en nivå) med en skyddad "
          "cell skyddas också den minsta av de andra; inga summor över celler publiceras")

# cell: (kommunkod, aldersband, behov, niva, insats_id, utfall)
Cell = tuple[str, str, str, str, str, str]


def k_value(value: str | int | None = None) -> int:
    """k from the argument, else FORALDRASTOD_UPPFOLJNING_K, else 5; never below 2."""
    raw = value if value is not None else os.environ.get(K_ENV, "")
    try:
        k = int(raw) if str(raw).strip() else DEFAULT_K
    except ValueError:
        k = DEFAULT_K
    return max(2, k)


@dataclass(frozen=True)
class Published:
    k: int
    cells: list[tuple[Cell, int | None]]  # in the order given; None = protected
    unmet_per_100: dict[str, float | None]  # kommunkod → ratio, None = protected


def protect(cells: Mapping[Cell, int], assessments: Mapping[tuple[str, str], int], k: int) -> Published:
    """The publishable form of one period's counts. `cells`: cell → antal (> 0); `assessments`:
    (kommunkod, aldersband) → assessments registered."""
    protected = {cell for cell, n in cells.items() if n < k}
    groups: dict[tuple, list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[cell[:5]].append(cell)
    for members in groups.values():
        hidden = [c for c in members if c in protected]
        if len(hidden) == 1 and len(members) > 1:
            partner = min((c for c in members if c not in protected), key=lambda c: (cells[c], c))
            protected.add(partner)

    per_kommun: dict[str, list[int]] = defaultdict(list)
    for (kommun, _band), n in assessments.items():
        per_kommun[kommun].append(n)
    unmet_sum: dict[str, int] = defaultdict(int)
    unmet_hidden: set[str] = set()
    for cell, n in cells.items():
        if cell[5] == "saknas":
            unmet_sum[cell[0]] += n
            if cell in protected:
                unmet_hidden.add(cell[0])
    unmet: dict[str, float | None] = {}
    for kommun, bands in per_kommun.items():
        total = sum(bands)
        safe = total >= k and kommun not in unmet_hidden and not any(0 < n < k for n in bands)
        unmet[kommun] = round(100.0 * unmet_sum.get(kommun, 0) / total, 1) if safe else None
    return Published(k=k, cells=[(c, None if c in protected else n) for c, n in cells.items()],
                     unmet_per_100=unmet)
