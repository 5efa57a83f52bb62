"""Availability files of a pack: which insats a kommun offers, and on what basis.

Two files, both optional, read in this order (a later entry wins for the same kommun + insats):

* `tillganglighet.yaml`, written for a policy officer: `blocks`, each one basis and reason for a
  list of kommuner × a list of insatser (`kommuner: alla` = every kommun of the pack). The v1
  layout (`availability:` a list of entries) is still read.
* `tillganglighet-kommuner.yaml`, what the kommuner report themselves: `entries:` a plain list of
  entries whose basis is implied `kommunens uppgift`; status may be `planeras` with
  `planned_from`.

Within one file an insats may be given only once per kommun: a second one is an error, so a typo
cannot silently override a fact.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .models import AvailabilityBasis, AvailabilityEntry, AvailabilityFacts, AvailabilityStatus, Id

MAIN_FILE = "tillganglighet.yaml"
KOMMUN_FILE = "tillganglighet-kommuner.yaml"


class AvailabilityBlock(AvailabilityFacts):
    """One basis and reason for every kommun × insats listed."""

    status: AvailabilityStatus = AvailabilityStatus.finns
    kommuner: list[str] | Literal["alla"]
    insatser: list[Id] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> AvailabilityBlock:
        # the same rules as a single entry: validate one representative entry
        AvailabilityEntry(kommun="-", insats=self.insatser[0], **self._fields())
        return self

    def _fields(self) -> dict:
        return self.model_dump(exclude={"kommuner", "insatser"}, exclude_none=False)


class AvailabilityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passage: str | None = Field(default=None, description="Strategins text som filen kodar")
    blocks: list[AvailabilityBlock] = Field(default_factory=list)
    availability: list[AvailabilityEntry] = Field(default_factory=list, description="v1-format: en post per rad")


class KommunEntry(BaseModel):
    """A kommun's own report (written by the /redaktion workspace)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kommun: str
    insats: Id
    status: AvailabilityStatus
    verified: dt.date | None = None
    contact: str | None = Field(default=None, max_length=200)
    planned_from: dt.date | None = None
    target_groups: list[str] = Field(default_factory=list)
    reason: str | None = None
    basis: Literal["kommunens uppgift"] | None = Field(default=None, description="Underförstått: kommunens uppgift")

    def entry(self) -> AvailabilityEntry:
        basis = None if self.status == AvailabilityStatus.okand else AvailabilityBasis.kommunens_uppgift
        return AvailabilityEntry(basis=basis, **self.model_dump(exclude={"basis"}))

    @model_validator(mode="after")
    def _shape(self) -> KommunEntry:
        self.entry()
        return self


class KommunAvailabilityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passage: str | None = None
    entries: list[KommunEntry] = Field(default_factory=list)


def expand(parsed: AvailabilityFile, all_kommuner: list[str]):
    """(location, AvailabilityEntry) for every entry the file states; location is the YAML path."""
    for i, block in enumerate(parsed.blocks):
        kommuner = all_kommuner if block.kommuner == "alla" else block.kommuner
        for j, kommun in enumerate(kommuner):
            loc = ("blocks", i, "kommuner") if block.kommuner == "alla" else ("blocks", i, "kommuner", j)
            for k, insats in enumerate(block.insatser):
                yield loc, ("blocks", i, "insatser", k), AvailabilityEntry(
                    kommun=kommun, insats=insats, **block._fields())
    for i, entry in enumerate(parsed.availability):
        yield ("availability", i), ("availability", i), entry


def expand_kommun_file(parsed: KommunAvailabilityFile):
    for i, entry in enumerate(parsed.entries):
        yield ("entries", i), ("entries", i), entry.entry()
