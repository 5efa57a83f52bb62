"""The pack's provider catalogue, `organisationer.yaml`: who offers each insats (HSDS organisations).

Optional: a pack without the file has no organisations. Each organisation lists the insatser it
offers; an insats may belong to at most one organisation. Errors are `file:line: message` like
every other pack file, collected into the loader's list.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import messages
from .models import Id, SourceRef, Status
from .yamlfile import PackError, _read_yaml, _validate

FILE = "organisationer.yaml"


class Organisation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    website: str | None = Field(default=None, pattern=r"^https?://")
    source: SourceRef
    status: Status = Status.kalla
    assumptions: list[str] = Field(default_factory=list)
    insatser: list[Id] = Field(default_factory=list)

    @model_validator(mode="after")
    def _assumption_has_reason(self) -> Organisation:
        if self.status == Status.antagande and not self.assumptions:
            raise ValueError("assumptions: ett antagande ska ha en förklaring under assumptions")
        return self


class OrganisationsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage: str | None = None
    organisationer: list[Organisation] = Field(default_factory=list)


def load_organisations(directory: Path, doc_ids: Collection[str], insatser: Mapping[str, object],
                       errors: list[PackError]) -> tuple[dict[str, Organisation], dict[str, str]]:
    """Read FILE (if present): the organisations by id and the organisation of each insats id.

    `doc_ids` are the source documents pack.yaml lists (a collection holding every id when
    pack.yaml is broken), `insatser` the catalogue's ids; errors are appended, never raised."""
    organisations: dict[str, Organisation] = {}
    organisation_of: dict[str, str] = {}
    path = directory / FILE
    if not path.exists() and not path.is_symlink():
        return organisations, organisation_of
    read = _read_yaml(path, FILE, errors)
    if read is None:
        return organisations, organisation_of
    data, located = read
    parsed = _validate(OrganisationsFile, FILE, data, located, errors)
    if parsed is None:
        return organisations, organisation_of
    for i, org in enumerate(parsed.organisationer):
        line = located.line_of(("organisationer", i))
        if org.id in organisations:
            errors.append(PackError(FILE, line, f"organisationen '{org.id}' finns redan"))
            continue
        if org.source.document not in doc_ids:
            errors.append(PackError(FILE, located.line_of(("organisationer", i, "source", "document")),
                                    f"okänt källdokument '{org.source.document}'"
                                    f"{messages.suggestion(org.source.document, doc_ids)}"))
        organisations[org.id] = org
        for j, insats in enumerate(org.insatser):
            loc = ("organisationer", i, "insatser", j)
            if insats not in insatser:
                errors.append(PackError(FILE, located.line_of(loc),
                                        f"okänd insats '{insats}'{messages.suggestion(insats, insatser)}"))
            elif insats in organisation_of:
                errors.append(PackError(FILE, located.line_of(loc), f"insatsen '{insats}' hör redan till organisationen "
                                                  f"'{organisation_of[insats]}'"))
            else:
                organisation_of[insats] = org.id
    return organisations, organisation_of
