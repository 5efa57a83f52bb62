"""Read a rule pack directory, validate it, and index it.

Every error is reported as `file:line: message` in Swedish, with a suggestion for a misspelt id.
Layout of a pack (see rules/README.md):

    pack.yaml            metadata and source documents
    kommuner.yaml        kommuner: code, name, länsdel, aliases
    behov.yaml           needs: the need vocabulary
    insatser.yaml        insatser: the catalogue
    tillganglighet.yaml  availability: per kommun and insats
    regler/*.yaml        rules, one file per theme, each beside the passage it encodes
    uppfoljning.yaml     optional: the follow-up round's questions (engine/questions.py)
"""
from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from . import availability as avail_files
from . import messages
from .availability import AvailabilityFile, KommunAvailabilityFile
from .organisations import load_organisations
from .questions import load_questions
from .yamlfile import (  # noqa: F401 - re-exported: tests and callers import them from here
    PackError,
    PackInvalid,
    _is_control,
    _line_at,
    _Loader,
    _Located,
    _NotPlain,
    _plain_load,
    _read_yaml,
    _validate,
)
from .models import (
    Availability,
    AvailabilityEntry,
    Family,
    Insats,
    Kommun,
    Need,
    NormalizedFamily,
    PackMeta,
    Rule,
)

DEFAULT_PACK = Path(__file__).resolve().parent.parent / "rules" / "orebro-lan"


# --------------------------------------------------------------------------- file models
class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passage: str | None = Field(default=None, description="Strategins text som filen kodar")


class KommunerFile(_File):
    kommuner: list[Kommun]


class NeedsFile(_File):
    needs: list[Need]


class InsatserFile(_File):
    insatser: list[Insats]


class RulesFile(_File):
    rules: list[Rule]


class FamilyInvalid(ValueError):
    """A family the pack cannot answer for: unknown kommun or need code."""

    def __init__(self, field_name: str, sv: str, en: str):
        self.field = field_name
        self.sv = sv
        self.en = en
        super().__init__(f"{field_name}: {sv} / {en}")


def normalize_name(text: str) -> str:
    """'Örebro kommun' -> 'orebro'; 'HÄLLEFORS' -> 'hallefors'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = " ".join(plain.replace("-", " ").split())
    return plain.removesuffix(" kommun").strip()


# --------------------------------------------------------------------------- the pack
@dataclass
class Pack:
    directory: Path
    meta: PackMeta
    version: str
    kommuner: dict[str, Kommun]
    needs: dict[str, Need]
    insatser: dict[str, Insats]
    rules: list[Rule]
    availability: dict[tuple[str, str], AvailabilityEntry]
    passages: dict[str, str] = field(default_factory=dict)
    locations: dict[str, tuple[str, int]] = field(default_factory=dict)
    rule_files: dict[str, str] = field(default_factory=dict)
    organisations: dict[str, Any] = field(default_factory=dict)  # id -> organisations.Organisation
    organisation_of: dict[str, str] = field(default_factory=dict)  # insats id -> organisation id
    questions: dict[str, Any] = field(default_factory=dict)  # id -> questions.Question, file order
    _kommun_index: dict[str, str] = field(default_factory=dict)
    _rule_index: dict[str, int] = field(default_factory=dict)

    def rules_in_order(self, rule_ids) -> list[Rule]:
        """The rules with these ids, in pack order."""
        if len(self._rule_index) != len(self.rules):
            self._rule_index = {r.id: i for i, r in enumerate(self.rules)}
        positions = sorted(self._rule_index[rid] for rid in set(rule_ids))
        return [self.rules[i] for i in positions]

    @property
    def name(self) -> str:
        return self.meta.name

    def resolve_kommun(self, text: str) -> str | None:
        """Kommunkod for a name (any case, å ä ö optional), alias or code; None if unknown."""
        text = text.strip()
        if text in self.kommuner:
            return text
        return self._kommun_index.get(normalize_name(text))

    def availability_of(self, kommun_code: str, insats_id: str) -> AvailabilityEntry | None:
        return self.availability.get((kommun_code, insats_id))

    def availability_status(self, kommun_code: str, insats_id: str, day: dt.date | None = None) -> Availability:
        entry = self.availability.get((kommun_code, insats_id))
        return entry.status_on(day or dt.date.today()) if entry else Availability.okand

    def source_title(self, document_id: str) -> str | None:
        for doc in self.meta.sources:
            if doc.id == document_id:
                return doc.title
        return None

    def normalize(self, family: Family, today: dt.date | None = None) -> NormalizedFamily:
        """Resolve kommun and needs against this pack; FamilyInvalid names the bad field."""
        code = self.resolve_kommun(family.kommun)
        if code is None:
            names = [k.name for k in self.kommuner.values()]
            hint = messages.suggestion(normalize_name(family.kommun), [normalize_name(n) for n in names])
            raise FamilyInvalid(
                "kommun",
                f"okänd kommun{hint} (ange namn eller 4-siffrig kommunkod för en kommun i {self.meta.region})",
                "unknown kommun",
            )
        unknown = [n for n in family.needs if n not in self.needs]
        if unknown:
            bad = unknown[0]
            shown = bad if len(bad) <= 40 and bad.replace("_", "").isalnum() else "…"
            raise FamilyInvalid(
                "needs",
                f"okänd behovskod '{shown}'{messages.suggestion(bad, self.needs)} (se GET /v1/needs)",
                "unknown need code",
            )
        return NormalizedFamily(
            kommun=code,
            age_months=family.age_months,
            expecting=family.expecting,
            needs=frozenset(family.needs),
            date=family.date or today or dt.date.today(),
        )


class _AnyId(frozenset):
    """Contains every id (used when pack.yaml, which lists the source documents, is broken)."""

    def __contains__(self, item: object) -> bool:
        return True


def _iter_files(directory: Path) -> Iterator[Path]:
    yield from sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def pack_version(directory: Path, edition: str) -> str:
    digest = hashlib.sha256()
    for path in _iter_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return f"{edition}+{digest.hexdigest()[:12]}"


def load_pack(directory: str | Path | None = None) -> Pack:
    """Load and validate a pack; raises PackInvalid with every error found."""
    directory = Path(directory) if directory else DEFAULT_PACK
    errors: list[PackError] = []
    if not directory.is_dir():
        raise PackInvalid([PackError(str(directory), 1, "mappen finns inte")])

    def load(rel: str, model: type[BaseModel]):
        path = directory / rel
        if not path.exists() and not path.is_symlink():
            errors.append(PackError(rel, 1, "filen saknas i regelpaketet"))
            return None, None
        read = _read_yaml(path, rel, errors)
        if read is None:
            return None, None
        data, located = read
        return _validate(model, rel, data, located, errors), located

    meta, _ = load("pack.yaml", PackMeta)
    kommuner_file, kommuner_loc = load("kommuner.yaml", KommunerFile)
    needs_file, needs_loc = load("behov.yaml", NeedsFile)
    insatser_file, insatser_loc = load("insatser.yaml", InsatserFile)
    avail_files_read = []  # (file name, parsed, located, expand function), in override order
    for rel, model, expand in ((avail_files.MAIN_FILE, AvailabilityFile, avail_files.expand),
                               (avail_files.KOMMUN_FILE, KommunAvailabilityFile, avail_files.expand_kommun_file)):
        if (directory / rel).exists():
            parsed, located = load(rel, model)
            if parsed is not None:
                avail_files_read.append((rel, parsed, located, expand))

    rule_sets: list[tuple[str, RulesFile, _Located]] = []
    rules_dir = directory / "regler"
    if not rules_dir.is_dir():
        errors.append(PackError("regler/", 1, "mappen regler/ saknas"))
    else:
        for path in sorted(rules_dir.glob("*.yaml")):
            rel = path.relative_to(directory).as_posix()
            read = _read_yaml(path, rel, errors)
            if read is None:
                continue
            data, located = read
            parsed = _validate(RulesFile, rel, data, located, errors)
            if parsed is not None:
                rule_sets.append((rel, parsed, located))

    # Go on after errors in single files: every error of every file is reported in one pass.
    # Cross-file checks that need a file that could not be read at all are skipped.
    pack = Pack(
        directory=directory,
        meta=meta,  # type: ignore[arg-type]  # None only when we raise below
        version=pack_version(directory, meta.edition) if meta else "ogiltigt",
        kommuner={},
        needs={},
        insatser={},
        rules=[],
        availability={},
    )
    # without a valid pack.yaml every document id is taken as known: no error that only repeats it
    doc_ids = {d.id for d in meta.sources} if meta else _AnyId()

    def check_source(ref, rel: str, located: _Located, loc: tuple):
        if ref.document not in doc_ids:
            errors.append(
                PackError(rel, located.line_of(loc + ("source", "document")),
                          f"okänt källdokument '{ref.document}'{messages.suggestion(ref.document, doc_ids)}")
            )

    # kommuner
    if kommuner_file:
        for i, k in enumerate(kommuner_file.kommuner):
            line = kommuner_loc.line_of(("kommuner", i))
            if k.code in pack.kommuner:
                errors.append(PackError("kommuner.yaml", line, f"kommunkoden {k.code} finns redan"))
                continue
            pack.kommuner[k.code] = k
            for alias in (k.name, *k.aliases):
                key = normalize_name(alias)
                other = pack._kommun_index.get(key)
                if other and other != k.code:
                    errors.append(PackError("kommuner.yaml", line,
                                            f"namnet '{alias}' används redan för kommun {other}"))
                pack._kommun_index[key] = k.code
            pack.locations[f"kommun:{k.code}"] = ("kommuner.yaml", line)

    def kommun_code(text: str, rel: str, located: _Located, loc: tuple) -> str | None:
        code = pack.resolve_kommun(text)
        if code is None and kommuner_file is not None:
            names = [k.name for k in pack.kommuner.values()]
            errors.append(PackError(rel, located.line_of(loc),
                                    f"okänd kommun '{text}'{messages.suggestion(text, names)}"))
        return code

    # needs
    if needs_file:
        for i, n in enumerate(needs_file.needs):
            line = needs_loc.line_of(("needs", i))
            if n.code in pack.needs:
                errors.append(PackError("behov.yaml", line, f"behovskoden '{n.code}' finns redan"))
            pack.needs[n.code] = n
            pack.locations[f"need:{n.code}"] = ("behov.yaml", line)
            if n.source:
                check_source(n.source, "behov.yaml", needs_loc, ("needs", i))

    # insatser
    if insatser_file:
        for i, ins in enumerate(insatser_file.insatser):
            line = insatser_loc.line_of(("insatser", i))
            if ins.id in pack.insatser:
                errors.append(PackError("insatser.yaml", line, f"insatsen '{ins.id}' finns redan"))
            pack.insatser[ins.id] = ins
            pack.locations[f"insats:{ins.id}"] = ("insatser.yaml", line)
            check_source(ins.source, "insatser.yaml", insatser_loc, ("insatser", i))

    # rules
    for rel, parsed, located in rule_sets:
        if parsed.passage:
            pack.passages[rel] = parsed.passage
        for i, rule in enumerate(parsed.rules):
            loc = ("rules", i)
            line = located.line_of(loc)
            if f"rule:{rule.id}" in pack.locations:
                f0, l0 = pack.locations[f"rule:{rule.id}"]
                errors.append(PackError(rel, line, f"regel-id '{rule.id}' finns redan ({f0}:{l0})"))
                continue
            pack.locations[f"rule:{rule.id}"] = (rel, line)
            pack.rule_files[rule.id] = rel
            for j, ins in enumerate(rule.recommend):
                if ins not in pack.insatser and insatser_file is not None:
                    errors.append(PackError(rel, located.line_of(loc + ("recommend", j)),
                                            f"okänd insats '{ins}'{messages.suggestion(ins, pack.insatser)}"))
            for key in ("needs_any", "needs_all"):
                for j, code in enumerate(getattr(rule.when, key)):
                    if code not in pack.needs and needs_file is not None:
                        errors.append(PackError(rel, located.line_of(loc + ("when", key, j)),
                                                f"okänd behovskod '{code}'{messages.suggestion(code, pack.needs)}"))
            codes = []
            for j, name in enumerate(rule.when.kommuner):
                code = kommun_code(name, rel, located, loc + ("when", "kommuner", j))
                if code:
                    codes.append(code)
            check_source(rule.source, rel, located, loc)
            if codes != list(rule.when.kommuner):
                rule = rule.model_copy(update={"when": rule.when.model_copy(update={"kommuner": codes})})
            pack.rules.append(rule)

    # availability: later files override earlier ones; within a file each pair once
    all_codes = list(pack.kommuner)
    for rel, parsed, located, expand in avail_files_read:
        seen: set[tuple[str, str]] = set()
        args = (parsed, all_codes) if expand is avail_files.expand else (parsed,)
        for kommun_loc, insats_loc, entry in expand(*args):
            code = kommun_code(entry.kommun, rel, located, kommun_loc)
            if entry.insats not in pack.insatser and insatser_file is not None:
                errors.append(PackError(rel, located.line_of(insats_loc),
                                        f"okänd insats '{entry.insats}'{messages.suggestion(entry.insats, pack.insatser)}"))
            if entry.source is not None and entry.source.document not in doc_ids:
                errors.append(PackError(rel, located.line_of(insats_loc), f"okänt källdokument '{entry.source.document}'"
                                                   f"{messages.suggestion(entry.source.document, doc_ids)}"))
            if code is None:
                continue
            key = (code, entry.insats)
            if key in seen:
                errors.append(PackError(rel, located.line_of(insats_loc),
                                        f"tillgång för '{entry.insats}' i kommun {code} anges två gånger"))
            seen.add(key)
            pack.availability[key] = entry.model_copy(update={"kommun": code})

    # the provider catalogue (organisationer.yaml, optional): engine/organisations.py
    pack.organisations, pack.organisation_of = load_organisations(
        directory, doc_ids, pack.insatser if insatser_file is not None else _AnyId(), errors)
    # the follow-up round's questions (uppfoljning.yaml, optional): engine/questions.py
    pack.questions = load_questions(directory, doc_ids, errors)

    if errors or meta is None:
        raise PackInvalid(errors)
    return pack
