"""Build packs in memory for engine tests (no YAML), and compare evaluators."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from engine.loader import Pack, normalize_name
from engine.models import (
    AvailabilityEntry,
    Insats,
    Kommun,
    Need,
    NormalizedFamily,
    PackMeta,
    Rule,
    SourceDocument,
    SourceRef,
)

SRC = SourceRef(document="doc", section="1")


def make_pack(rules: list[Rule], kommuner: list[str], needs: list[str], insatser: list[str],
              availability: dict[tuple[str, str], str] | None = None) -> Pack:
    meta = PackMeta(name="test", edition="1", title="t", region="r",
                    sources=[SourceDocument(id="doc", title="Dokument", publisher="p", year=2024)])
    pack = Pack(
        directory=Path("."), meta=meta, version="1+test",
        kommuner={c: Kommun(code=c, name=f"K{c}") for c in kommuner},
        needs={n: Need(code=n, label=n) for n in needs},
        insatser={i: Insats(id=i, name=i.upper(), level="universell", source=SRC) for i in insatser},
        rules=rules,
        availability={k: AvailabilityEntry(kommun=k[0], insats=k[1], status=v, source=SRC)
                      for k, v in (availability or {}).items()},
    )
    pack._kommun_index = {normalize_name(k.name): c for c, k in pack.kommuner.items()}
    return pack


def family(kommun: str, age: int | None = None, expecting: bool = False, needs=(),
           date: dt.date = dt.date(2026, 11, 23)) -> NormalizedFamily:
    return NormalizedFamily(kommun=kommun, age_months=age, expecting=expecting,
                            needs=frozenset(needs), date=date)
