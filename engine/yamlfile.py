"""Reading one pack file: YAML with the line of every node, validated against its file model.

Every problem becomes a `PackError` (`file:line: message` in Swedish) appended to the caller's
list; nothing here raises for a broken file. The loader (engine/loader.py) and the optional
file readers (engine/organisations.py) build on this module; it imports neither.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import messages


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
