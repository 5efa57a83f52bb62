"""`check --sources DIR`: every quote attributed to a source document whose text is in DIR
must appear in that text, verbatim apart from whitespace and markdown.

Pure: reads the pack's YAML files and the text files, returns findings. A quote is any mapping
in a pack file with both `document` and `quote` (a SourceRef); its document's `file:` in
pack.yaml names the text file (only the file name counts, so `file:` may carry a directory).
An ellipsis (… or ...) in a quote stands for left-out text: the parts must appear in order.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from .loader import PackError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")  # [text](url) -> text
_TAG = re.compile(r"<[^>]{1,200}>")  # html tags in converted documents
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_LINE_MARK = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+•]\s+|\d+[.)]\s+)", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`|~~)")
_SUPERSCRIPT = re.compile(r"[\u00b9\u00b2\u00b3\u2070-\u2079]+")  # footnote marks: barnet¹¹
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*")


def normalize(text: str) -> str:
    """Text as read: markdown marks, tables, html tags and footnote marks out, whitespace one space."""
    text = unicodedata.normalize("NFC", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _LINE_MARK.sub("", text)
    text = text.replace("|", " ")
    text = _EMPHASIS.sub("", text)
    text = _SUPERSCRIPT.sub("", text)
    text = text.replace("\u00a0", " ")
    return " ".join(text.split())


def quote_found(quote: str, normalized_text: str) -> bool:
    parts = [normalize(p) for p in _ELLIPSIS.split(quote)]
    parts = [p for p in parts if p]
    pos = 0
    for part in parts:
        found = normalized_text.find(part, pos)
        if found < 0:
            return False
        pos = found + len(part)
    return bool(parts)


@dataclass(frozen=True)
class Quote:
    file: str  # pack-relative path
    line: int
    document: str
    text: str


def _walk(node, rel: str, out: list[Quote]) -> None:
    if isinstance(node, yaml.MappingNode):
        keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        doc, quote = keys.get("document"), keys.get("quote")
        if isinstance(doc, yaml.ScalarNode) and isinstance(quote, yaml.ScalarNode) and quote.value.strip():
            out.append(Quote(rel, quote.start_mark.line + 1, doc.value, quote.value))
        for _k, v in node.value:
            _walk(v, rel, out)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _walk(v, rel, out)


def pack_quotes(pack_dir: Path) -> list[Quote]:
    out: list[Quote] = []
    for path in sorted(pack_dir.rglob("*.yaml")):
        rel = path.relative_to(pack_dir).as_posix()
        try:
            node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # the loader reports broken files
        _walk(node, rel, out)
    return out


def document_files(pack_dir: Path) -> dict[str, str]:
    """document id -> file name, from pack.yaml `sources[].file`."""
    data = yaml.load((pack_dir / "pack.yaml").read_text(encoding="utf-8"), Loader=_Loader) or {}
    return {s["id"]: Path(s["file"]).name for s in data.get("sources") or [] if s.get("id") and s.get("file")}


@dataclass
class SourceCheck:
    checked: int
    documents: list[str]  # ids whose text was found in DIR
    problems: list[PackError]


def check_quotes(pack_dir: str | Path, sources_dir: str | Path) -> SourceCheck:
    pack_dir, sources_dir = Path(pack_dir), Path(sources_dir)
    problems: list[PackError] = []
    if not sources_dir.is_dir():
        return SourceCheck(0, [], [PackError(str(sources_dir), 1, "mappen med källtexter finns inte")])
    texts: dict[str, str] = {}
    for doc_id, name in document_files(pack_dir).items():
        path = sources_dir / name
        if path.is_file():
            texts[doc_id] = normalize(path.read_text(encoding="utf-8", errors="replace"))
    checked = 0
    for q in pack_quotes(pack_dir):
        if q.document not in texts:
            continue
        checked += 1
        if not quote_found(q.text, texts[q.document]):
            shown = q.text if len(q.text) <= 90 else q.text[:87] + "…"
            problems.append(PackError(q.file, q.line,
                                         f"citatet står inte ordagrant i källdokumentet '{q.document}': \"{shown}\""))
    return SourceCheck(checked, sorted(texts), problems)
