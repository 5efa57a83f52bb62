"""Population figures of a pack: children per kommun and age year, labelled with their basis.

Optional file `befolkning.yaml` in the pack directory. Used only to weight the impact of a pack
change (engine/impact.py) by the number of children it can reach; without the file nothing is
weighted, and no figure is ever invented. Layout, one block per basis (like tillganglighet.yaml):

    population:
      - basis: källa                  # källa | antagande | kommunens uppgift
        source: {document: scb-befolkning, section: "Folkmängd 31 december 2025"}
        year: 2025                    # the year the figures describe
        kommuner:
          - kommun: Nora              # name or kommunkod
            by_age: [98, 101, 97]     # children aged 0, 1, 2 … år (at most 19 values, 0–18 år)
            expecting: 95             # optional: expecting families at a time
      - basis: antagande
        reason: "Uppskattat från 2024 års siffror: …"
        year: 2024
        kommuner: [...]

`källa` needs a `source` whose document is listed in pack.yaml; `antagande` needs a `reason`.
A child of m months is in age year m // 12, and a year's figure is spread evenly over its twelve
months. Ages without a figure count as unknown (no weight), never as zero children.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from . import messages
from .loader import Pack, PackError, PackInvalid, _read_yaml, _validate
from .models import MAX_AGE_MONTHS, SourceRef

FILE = "befolkning.yaml"
MAX_YEARS = MAX_AGE_MONTHS // 12 + 1  # 0–18 år

Basis = Literal["källa", "antagande", "kommunens uppgift"]


class KommunPopulation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kommun: str = Field(min_length=1)
    by_age: list[NonNegativeInt] = Field(
        min_length=1, max_length=MAX_YEARS, description="Antal barn per ålder i hela år: 0, 1, 2 … år")
    expecting: NonNegativeInt | None = Field(default=None, description="Antal blivande föräldrapar")


class PopulationBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    basis: Basis
    source: SourceRef | None = None
    reason: str | None = None
    year: int = Field(ge=1900, le=2100, description="Året siffrorna avser")
    kommuner: list[KommunPopulation] = Field(min_length=1)

    @model_validator(mode="after")
    def _basis_shape(self) -> PopulationBlock:
        if self.basis == "källa" and self.source is None:
            raise ValueError("basis källa kräver en källa (source)")
        if self.basis == "antagande" and not (self.reason or "").strip():
            raise ValueError("basis antagande kräver en motivering (reason)")
        return self


class PopulationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passage: str | None = None
    population: list[PopulationBlock] = Field(min_length=1)


@dataclass(frozen=True)
class PopulationBasis:
    basis: str
    year: int
    source: str | None  # "document, section"
    reason: str | None


@dataclass
class Population:
    """Children per kommun (kommunkod) and age year, with the basis of each kommun's figures."""

    by_age: dict[str, tuple[int, ...]] = field(default_factory=dict)
    expecting: dict[str, int] = field(default_factory=dict)
    basis_of: dict[str, PopulationBasis] = field(default_factory=dict)

    def per_month(self, kommun: str, months: int) -> float | None:
        """Children of exactly this age in months (a year's figure / 12); None if unknown."""
        ages = self.by_age.get(kommun)
        year = months // 12
        if ages is None or year >= len(ages):
            return None
        return ages[year] / 12

    def expecting_count(self, kommun: str) -> float | None:
        value = self.expecting.get(kommun)
        return float(value) if value is not None else None

    def bases(self) -> list[PopulationBasis]:
        return list(dict.fromkeys(self.basis_of.values()))

    def describe(self) -> str:
        """Swedish, for pages: where the figures come from."""
        parts = []
        for b in self.bases():
            text = f"{b.basis} ({b.year})"
            if b.source:
                text += f": {b.source}"
            elif b.reason:
                text += f": {b.reason}"
            parts.append(text)
        return "Befolkningssiffror: " + "; ".join(parts)


def load_population(pack: Pack) -> Population | None:
    """The pack's befolkning.yaml, or None without one. Raises PackInvalid (`file:line: message`)."""
    path = pack.directory / FILE
    if not path.is_file():
        return None
    errors: list[PackError] = []
    read = _read_yaml(path, FILE, errors)
    if read is None:
        raise PackInvalid(errors)
    data, located = read
    parsed = _validate(PopulationFile, FILE, data, located, errors)
    if parsed is None:
        raise PackInvalid(errors)
    doc_ids = {d.id for d in pack.meta.sources}
    population = Population()
    for i, block in enumerate(parsed.population):
        source = None
        if block.source is not None:
            source = f"{block.source.document}, {block.source.section}"
            if block.source.document not in doc_ids:
                errors.append(PackError(FILE, located.line_of(("population", i, "source", "document")),
                                        f"okänt källdokument '{block.source.document}'"
                                        f"{messages.suggestion(block.source.document, doc_ids)}"))
        basis = PopulationBasis(block.basis, block.year, source, block.reason)
        for j, entry in enumerate(block.kommuner):
            loc = ("population", i, "kommuner", j)
            code = pack.resolve_kommun(entry.kommun)
            if code is None:
                names = [k.name for k in pack.kommuner.values()]
                errors.append(PackError(FILE, located.line_of(loc), f"okänd kommun '{entry.kommun}'"
                                                    f"{messages.suggestion(entry.kommun, names)}"))
                continue
            if code in population.basis_of:
                errors.append(PackError(FILE, located.line_of(loc), f"befolkning för kommun {code} anges två gånger"))
                continue
            population.by_age[code] = tuple(entry.by_age)
            if entry.expecting is not None:
                population.expecting[code] = entry.expecting
            population.basis_of[code] = basis
    if errors:
        raise PackInvalid(errors)
    return population
