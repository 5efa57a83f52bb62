"""The pack's provider catalogue, `organisationer.yaml`: who offers each insats (HSDS organisations).

Optional: a pack without the file has no organisations. Each organisation lists the insatser it
offers; an insats may belong to at most one organisation. Errors are `file:line: message` like
every other pack file, collected into the loader's list.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .models import Id, SourceRef, Status

if TYPE_CHECKING:
    from .loader import Pack, PackError

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


def load_organisations(directory: Path, pack: Pack, errors: list[PackError]) -> None:
    """Read FILE (if present) into pack.organisations and pack.organisation_of; errors appended."""
    from . import messages
    from .loader import PackError, _read_yaml, _validate

    path = directory / FILE
    if not path.exists():
        return
    read = _read_yaml(path, FILE, errors)
    if read is None:
        return
    data, located = read
    parsed = _validate(OrganisationsFile, FILE, data, located, errors)
    if parsed is None:
        return
    doc_ids = {d.id for d in pack.meta.sources}
    for i, org in enumerate(parsed.organisationer):
        line = located.line_of(("organisationer", i))
        if org.id in pack.organisations:
            errors.append(PackError(FILE, line, f"organisationen '{org.id}' finns redan"))
            continue
        if org.source.document not in doc_ids:
            errors.append(PackError(FILE, located.line_of(("organisationer", i, "source", "document")),
                                    f"okänt källdokument '{org.source.document}'"
                                    f"{messages.suggestion(org.source.document, doc_ids)}"))
        pack.organisations[org.id] = org
        for j, insats in enumerate(org.insatser):
            loc = ("organisationer", i, "insatser", j)
            if insats not in pack.insatser:
                errors.append(PackError(FILE, located.line_of(loc), f"okänd insats '{insats}'{messages.suggestion(insats, pack.insatser)}"))
            elif insats in pack.organisation_of:
                errors.append(PackError(FILE, located.line_of(loc), f"insatsen '{insats}' hör redan till organisationen "
                                                  f"'{pack.organisation_of[insats]}'"))
            else:
                pack.organisation_of[insats] = org.id
