"""Read a rule pack directory, validate it, and index it.

Every error is reported as `file:line: message` in Swedish, with a suggestion for a misspelt id.
Layout of a pack (see rules/README.md):

    pack.yaml            metadata and source documents
    kommuner.yaml        kommuner: code, name, länsdel, aliases
    behov.yaml           needs: the need vocabulary
    insatser.yaml        insatser: the catalogue
    tillganglighet.yaml  availability: per kommun and insats
    regler/*.yaml        rules, one file per theme, each beside the passage it encodes
"""
from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import availability as avail_files
from . import messages
from .availability import AvailabilityFile, KommunAvailabilityFile
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


# --------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class PackError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PackInvalid(Exception):
    def __init__(self, errors: list[PackError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


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


# --------------------------------------------------------------------------- YAML with lines
class _Located:
    """Where things are in one YAML file, to give `file:line` for a location (a pydantic error's
    `loc`). The lines every load needs (the top-level keys and the items of the top-level lists)
    come from `index`; any other location composes the file's node tree once, on first use (an
    error path)."""

    def __init__(self, node: yaml.Node | None = None, text: str | None = None,
                 index: dict[tuple[Any, ...], int] | None = None):
        self._node = node
        self._text = text
        self._index = index or {}

    @property
    def node(self) -> yaml.Node | None:
        if self._node is None and self._text is not None:
            self._node = yaml.compose(self._text, Loader=_Loader)
            self._text = None
        return self._node

    def line_of(self, loc: tuple[Any, ...]) -> int:
        line = self._index.get(tuple(loc))
        if line is not None:
            return line
        node = self.node
        line = node.start_mark.line + 1 if node is not None else 1
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                nxt = None
                for k, v in node.value:
                    if k.value == part:
                        nxt = v
                        line = k.start_mark.line + 1
                        break
                if nxt is None:
                    return line
                node = nxt
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


# libyaml's loader when present (5x faster on large packs); both build plain data only
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Like the safe loader, but an impossible date ('2024-13-01') stays text, so that the model
    check reports it with its line instead of a traceback."""


def _timestamp_or_text(loader, node):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


class _NotPlain(Exception):
    """The document uses what only the full constructor handles."""


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _plain_load(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """The document's data as the safe loader builds it, and the lines of its top-level keys and of
    the items of its top-level lists, straight from libyaml's events. No node tree is built: for a
    national pack that tree held ~40 MB that stayed fragmented after the load. Raises _NotPlain
    for explicit tags, merge keys, recursive aliases, non-scalar keys, a repeated top-level key or
    several documents, and yaml errors as the parser reports them; the caller then composes as
    before."""
    loader = _Loader(text)
    index: dict[tuple[Any, ...], int] = {}
    resolved: dict[tuple[str, tuple[bool, bool]], str] = {}
    constructors = loader.yaml_constructors
    # one frame per open collection: [collection, its location or None when not indexed,
    # the pending key (mappings), whether a key is pending (mappings), its anchor]
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    anchors: dict[str, Any] = {}
    open_anchors: set[str] = set()  # collections still being read: an alias to one is recursive
    try:
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if frame[4] is not None:
                    open_anchors.discard(frame[4])
                continue
            if kind is yaml.AliasEvent:
                if event.anchor not in anchors or event.anchor in open_anchors:
                    raise _NotPlain
                value = anchors[event.anchor]
            elif kind is yaml.ScalarEvent:
                if event.tag not in (None, "!"):
                    raise _NotPlain
                memo = (event.value, event.implicit)
                tag = resolved.get(memo)
                if tag is None:
                    tag = resolved[memo] = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                if tag == _STR_TAG:
                    value = event.value
                elif tag == _MERGE_TAG or tag not in constructors:
                    raise _NotPlain
                else:
                    value = constructors[tag](loader, yaml.ScalarNode(tag, event.value, event.start_mark,
                                                                      event.end_mark, event.style))
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if event.tag not in (None, "!"):
                    raise _NotPlain
                value = {} if kind is yaml.MappingStartEvent else []
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _NotPlain
                continue
            elif kind is yaml.StreamEndEvent:
                break
            elif kind is yaml.StreamStartEvent or kind is yaml.DocumentEndEvent:
                continue
            else:  # pragma: no cover - libyaml has no other events
                raise _NotPlain
            anchor = event.anchor
            if anchor is not None and kind is not yaml.AliasEvent:
                anchors[anchor] = value
            line = event.start_mark.line + 1
            child_loc: tuple[Any, ...] | None = None
            if not stack:
                root, child_loc = value, ()
            else:
                frame = stack[-1]
                collection, loc = frame[0], frame[1]
                if type(collection) is dict:
                    if not frame[3]:  # this node is a key
                        if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent or value.__hash__ is None:
                            raise _NotPlain
                        if loc == () and type(value) is str:  # as line_of compares keys: text
                            if (value,) in index:  # a repeated top-level key: compose decides
                                raise _NotPlain
                            index[(value,)] = line
                        frame[2], frame[3] = value, True
                        continue
                    collection[frame[2]] = value
                    frame[3] = False
                    if loc == () and type(frame[2]) is str:
                        child_loc = (frame[2],)
                else:
                    if loc is not None and len(loc) == 1:
                        index[(*loc, len(collection))] = line
                    collection.append(value)
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if anchor is not None:
                    open_anchors.add(anchor)
                stack.append([value, child_loc, None, False, anchor])
        return root, index
    finally:
        loader.dispose()


def _line_at(text: str, position: int | None) -> int:
    return text.count("\n", 0, position or 0) + 1


def _read_yaml(path: Path, rel: str, errors: list[PackError]) -> tuple[Any, _Located] | None:
    if path.is_symlink() and not path.exists():
        errors.append(PackError(rel, 1, "filen är en länk till något som inte finns"))
        return None
    if path.is_dir():
        errors.append(PackError(rel, 1, "ska vara en fil men är en mapp"))
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        errors.append(PackError(rel, line, "filen är inte UTF-8 (spara den som UTF-8)"))
        return None
    except OSError as exc:
        errors.append(PackError(rel, 1, f"filen går inte att läsa ({exc.strerror or exc})"))
        return None
    try:
        data, index = _plain_load(text)
        return data, _Located(text=text, index=index)
    except Exception:  # noqa: BLE001 - _NotPlain or any error: compose as before, which gives
        pass  # the same data, or the error with its line
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = _Loader("").construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        lines = text.splitlines()
        at = lines[mark.line][mark.column:mark.column + 1] if mark and mark.line < len(lines) else ""
        problem = exc.problem or exc.context
        if at == "\t" or (mark and mark.line < len(lines) and lines[mark.line][: mark.column].strip() == ""
                          and "\t" in lines[mark.line][: mark.column + 1]):
            problem = "found a tab character"
        errors.append(PackError(rel, line, messages.yaml_problem(problem)))
        return None
    except yaml.reader.ReaderError as exc:  # a control character (the pure-Python reader)
        at = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
        errors.append(PackError(rel, _line_at(text, at if at >= 0 else exc.position),
                                f"otillåtet tecken (kod {exc.character:#06x}) i filen – ta bort det"))
        return None
    except yaml.YAMLError as exc:  # libyaml's reader errors carry no mark
        problem = str(getattr(exc, "problem", "") or exc)
        position = getattr(exc, "problem_offset", None)
        if position is None:
            bad = next((i for i, ch in enumerate(text) if _is_control(ch)), None)
            position = bad
        line = _line_at(text, position)
        if "control" in problem or "special characters" in problem or "unacceptable" in problem:
            errors.append(PackError(rel, line, "otillåtet kontrolltecken i filen – ta bort det"))
        else:
            errors.append(PackError(rel, line, messages.yaml_problem(problem)))
        return None
    return data, _Located(node)


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return (code < 0x20 and ch not in "\t\n\r") or 0x7F <= code <= 0x9F and code != 0x85


def _validate(model: type[BaseModel], rel: str, data: Any, located: _Located, errors: list[PackError]):
    """The file as `model`; on errors, every error as `fil:rad: regel 3 (id …): fält: meddelande`,
    and the file with only its valid list items, so later checks still see them."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = messages.pack_message(err)
            if err["type"] == "extra_forbidden":
                field_name = str(loc[-1]) if loc else ""
                known = _known_fields(model, loc[:-1])
                msg += messages.suggestion(field_name, known)
            where = messages.pack_position(loc, data)
            errors.append(PackError(rel, located.line_of(loc), f"{where}: {msg}" if where else msg))
        return _salvage(model, data)


def _salvage(model: type[BaseModel], data: Any):
    """A file model holding only the list items that are valid on their own; None if none can be."""
    if not isinstance(data, dict):
        return None
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        raw = data.get(name)
        item_model = next((a for a in getattr(info.annotation, "__args__", ()) if hasattr(a, "model_fields")), None)
        if isinstance(raw, list) and item_model is not None:
            items = []
            for item in raw:
                try:
                    items.append(item_model.model_validate(item))
                except ValidationError:
                    pass
            values[name] = items
        elif name == "passage" and isinstance(raw, str):
            values[name] = raw
        elif info.is_required():
            return None
    return model.model_construct(**values)


def _known_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names valid at a location, for 'menade du ...?' on a misspelt key."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        ann = fields[part].annotation
        args = getattr(ann, "__args__", ())
        current = next((a for a in (ann, *args) if hasattr(a, "model_fields")), None)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


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
    from .organisations import load_organisations

    load_organisations(directory, pack, errors)

    if errors or meta is None:
        raise PackInvalid(errors)
    return pack
