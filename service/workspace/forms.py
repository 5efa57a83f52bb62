"""Forms over rule files: a rule as form fields and back, edited in place in its YAML file.

A rule file keeps its comments and every other rule byte for byte: saving a form replaces only
the text of that one rule (its span in the file, found from the YAML node marks). Ages are shown
as years and months and stored as months, like the pack. Errors from the loader
(`file:line: message`, the same Swedish as `foraldrastod check`) are mapped back to the field
whose line they name.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

LEVELS = ("universell", "selektiv", "indikerad")
SEVERITIES = ("info", "warning", "critical")
SEVERITY_TEXT = {"info": "information", "warning": "varning", "critical": "kritiskt"}
STATUSES = ("källa", "antagande")
RULE_KEYS = ("id", "level", "when", "recommend", "notice", "present_as", "rationale", "source", "valid_from",
             "valid_to", "status", "assumptions")
FORMLESS_KEYS = ("present_as",)  # kept from the rule as written: the form has no field for them
WHEN_KEYS = ("age_months", "expecting", "needs_any", "needs_all", "kommuner")
# the form field an error in a key's lines belongs to
FIELD_OF_KEY = {"age_months": "alder", "expecting": "expecting", "needs_any": "needs_any",
                "needs_all": "needs_all", "kommuner": "kommuner", "when": "alder"}
FIELD_LABELS = {
    "id": "Regelns id", "level": "Nivå", "alder": "Ålder", "expecting": "Blivande föräldrar",
    "needs_any": "Något av behoven", "needs_all": "Alla behoven", "kommuner": "Kommuner",
    "recommend": "Rekommenderade insatser", "notice": "Meddelande", "rationale": "Motivering",
    "source": "Källa", "valid_from": "Gäller från", "valid_to": "Gäller till", "status": "Grund",
    "name": "Namn", "format": "Form", "provider": "Vem ger insatsen", "description": "Beskrivning",
    "assumptions": "Antaganden", "code": "Behovskod", "label": "Etikett", "group": "Grupp",
}


class FormError(ValueError):
    """Input the form itself refuses, before the loader sees it; names the field."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        super().__init__(f"{field_name}: {message}")


# --------------------------------------------------------------------------- file structure
@dataclass
class Item:
    index: int
    data: dict[str, Any]
    start: int  # first line of the item (0-based, the line with "- ")
    end: int  # exclusive


def _items(text: str, key: str) -> list[Item]:
    """The items of the top-level list `key` with their line spans; [] when there is none."""
    root = yaml.compose(text)
    data = yaml.safe_load(text) or {}
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        return []
    lines = text.splitlines()
    for k, v in root.value:
        if k.value != key or not isinstance(v, yaml.SequenceNode):
            continue
        out = []
        for i, node in enumerate(v.value):
            start = node.start_mark.line
            end_line, end_col = node.end_mark.line, node.end_mark.column
            if end_line < len(lines) and lines[end_line][:end_col].strip():
                end_line += 1
            end = max(end_line, start + 1)
            while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
                end -= 1
            out.append(Item(index=i, data=data[key][i], start=start, end=end))
        return out
    return []


def rules_of(text: str) -> list[Item]:
    return _items(text, "rules")


def passage_of(text: str) -> str | None:
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):  # ValueError: an impossible date ('2024-13-01')
        return None
    return data.get("passage") if isinstance(data, dict) else None


def is_rule_file(path: str) -> bool:
    return path.startswith("regler/") and path.endswith(".yaml")


# --------------------------------------------------------------------------- dumping one rule
class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = ">" if len(value) > 90 and "\n" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _key_block(key: str, value: Any, width: int = 110) -> list[str]:
    """`key: value` as lines indented for a list item's body (4 spaces); short maps and lists
    inline like the pack's files, long texts folded."""
    if isinstance(value, (dict, list)) and value:
        flow = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=True,
                         width=10**6).strip()
        if flow.endswith("..."):
            flow = flow[:-3].strip()
        line = f"    {key}: {flow}"
        if len(line) <= width and "\n" not in flow:
            return [line]
    body = yaml.dump({key: value}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=96,
                     default_flow_style=False)
    return ["    " + ln for ln in body.splitlines()]


def _blocks(item_text: str) -> dict[str, list[str]]:
    """An item's text split per top-level key, each block re-indented as a body line (4 spaces)."""
    blocks: dict[str, list[str]] = {}
    key = None
    for line in item_text.splitlines():
        m = re.match(r"^  (?:- |  )([A-Za-z_]+):", line)
        if m:
            key = m.group(1)
            line = "    " + line[4:]
            blocks[key] = []
        if key is not None:
            blocks[key].append(line)
    return blocks


def dump_item(item: dict[str, Any], indent: int = 2, old: dict[str, Any] | None = None,
              old_text: str | None = None) -> str:
    """One list item as YAML lines ("  - id: ..."), keys in the pack's order. With the item's
    old data and text, every key whose value did not change keeps its old lines exactly."""
    kept = _blocks(old_text) if old is not None and old_text else {}
    if isinstance(old, dict):  # the file's key order for keys it had, new keys after
        item = {**{k: item[k] for k in old if k in item}, **{k: v for k, v in item.items() if k not in old}}
    lines: list[str] = []
    for key, value in item.items():
        if key in kept and isinstance(old, dict) and old.get(key) == value:
            lines += kept[key]
        else:
            lines += _key_block(key, value)
    if lines:
        lines[0] = "  - " + lines[0][4:]
    pad = " " * (indent - 2)
    return "".join(pad + ln + "\n" for ln in lines)


def replace_item(text: str, item: Item | None, new_text: str, key: str = "rules") -> str:
    """The file with `item` replaced by `new_text` (None: appended at the end of the list)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if item is not None:
        return "".join(lines[:item.start] + [new_text] + lines[item.end:])
    items = _items(text, key)
    if items:
        at = items[-1].end
        return "".join(lines[:at] + [new_text] + lines[at:])
    if re.search(rf"(?m)^{key}:\s*\[\]\s*$", text):
        return re.sub(rf"(?m)^{key}:\s*\[\]\s*$", f"{key}:", text) + new_text
    if not re.search(rf"(?m)^{key}:", text):
        return "".join(lines) + f"{key}:\n" + new_text
    return "".join(lines) + new_text


def remove_item(text: str, item: Item) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:item.start] + lines[item.end:])


def key_lines(item_text: str) -> dict[int, str]:
    """Line offset within a dumped item → the form field it belongs to."""
    out: dict[int, str] = {}
    top = nested = None
    for i, line in enumerate(item_text.splitlines()):
        m = re.match(r"^(\s*(?:- )?)([a-z_]+):", line)
        if m:
            depth = len(m.group(1))
            if depth <= 4:
                top, nested = m.group(2), None
            elif top == "when":
                nested = m.group(2)
        if top == "when":
            out[i] = FIELD_OF_KEY.get(nested or "when", "alder")
        elif top == "age_months":
            out[i] = "alder"
        elif top:
            out[i] = top
    return out


# --------------------------------------------------------------------------- ages
def split_months(months: int | None) -> tuple[str, str]:
    if months is None:
        return "", ""
    return str(months // 12), str(months % 12)


def join_months(years: str, months: str, label: str) -> int | None:
    years, months = (years or "").strip(), (months or "").strip()
    if not years and not months:
        return None
    try:
        y = int(years or 0)
        m = int(months or 0)
    except ValueError:
        raise FormError("alder", f"{label}: skriv år och månader med siffror") from None
    if y < 0 or m < 0 or m > 11:
        raise FormError("alder", f"{label}: år från 0 och månader 0–11")
    return y * 12 + m


# --------------------------------------------------------------------------- rule ↔ form
def form_from_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Form values (strings and lists of strings) for a rule as read from YAML."""
    when = rule.get("when") or {}
    age = when.get("age_months") or {}
    notice = rule.get("notice") or {}
    source = rule.get("source") or {}
    amin_y, amin_m = split_months(age.get("min") if age else None)
    amax_y, amax_m = split_months(age.get("max") if age else None)
    return {
        "id": str(rule.get("id", "")),
        "level": str(rule.get("level", "")),
        "alder_fran_ar": amin_y, "alder_fran_man": amin_m, "alder_till_ar": amax_y, "alder_till_man": amax_m,
        "expecting": "ja" if when.get("expecting") else "",
        "needs_any": [str(x) for x in when.get("needs_any") or []],
        "needs_all": [str(x) for x in when.get("needs_all") or []],
        "kommuner": [str(x) for x in when.get("kommuner") or []],
        "recommend": [str(x) for x in rule.get("recommend") or []],
        "notice_severity": str(notice.get("severity", "")),
        "notice_text": str(notice.get("text", "")),
        "rationale": str(rule.get("rationale", "")),
        "source_document": str(source.get("document", "")),
        "source_section": str(source.get("section", "")),
        "source_quote": str(source.get("quote") or ""),
        "source_note": str(source.get("note") or ""),
        "valid_from": str(rule.get("valid_from") or ""),
        "valid_to": str(rule.get("valid_to") or ""),
        "status": str(rule.get("status") or "källa"),
        "assumptions": "\n".join(str(x) for x in rule.get("assumptions") or []),
    }


def _date(value: str, field_name: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormError(field_name, "ange datumet som ÅÅÅÅ-MM-DD") from None


def _keep_explicit_defaults(rule: dict[str, Any], original: dict[str, Any] | None) -> dict[str, Any]:
    """Keys the original wrote out with their default value (status: källa, expecting: false, an
    empty list) stay written: the form cannot tell them from absent ones, the file can."""
    if not isinstance(original, dict):
        return rule
    if original.get("status") == "källa" and "status" not in rule:
        rule["status"] = "källa"
    when = original.get("when")
    if isinstance(when, dict):
        new_when = dict(rule.get("when") or {})
        for key in WHEN_KEYS:
            if key in when and key not in new_when and when[key] in (False, [], None):
                new_when[key] = when[key]
        if new_when or "when" in original:
            rule["when"] = {k: new_when[k] for k in list(when) + [k for k in new_when if k not in when] if k in new_when}
    return {k: rule[k] for k in RULE_KEYS if k in rule}


def rule_from_form(form: dict[str, Any], kommun_names: dict[str, str] | None = None,
                   original: dict[str, Any] | None = None) -> dict[str, Any]:
    """The rule dict to write; FormError for what the form itself can tell is wrong.
    Everything else (ids, codes, ranges) is left to the loader, whose message is shown."""
    def one(name: str) -> str:
        value = form.get(name) or [""]
        return (value[0] if isinstance(value, list) else str(value)).strip()

    def many(name: str) -> list[str]:
        value = form.get(name) or []
        return [v for v in (value if isinstance(value, list) else [value]) if v]

    rule: dict[str, Any] = {"id": one("id"), "level": one("level")}
    when: dict[str, Any] = {}
    amin = join_months(one("alder_fran_ar"), one("alder_fran_man"), "från")
    amax = join_months(one("alder_till_ar"), one("alder_till_man"), "till")
    if (amin is None) != (amax is None):
        raise FormError("alder", "ange både från- och till-ålder, eller ingen (alla åldrar)")
    if amin is not None:
        when["age_months"] = {"min": amin, "max": amax}
    if one("expecting"):
        when["expecting"] = True
    for key in ("needs_any", "needs_all"):
        if many(key):
            when[key] = many(key)
    if many("kommuner"):
        names = kommun_names or {}
        when["kommuner"] = [names.get(code, code) for code in many("kommuner")]
    if when:
        rule["when"] = when
    if many("recommend"):
        rule["recommend"] = many("recommend")
    severity, text = one("notice_severity"), one("notice_text")
    if severity or text:
        if not severity or not text:
            raise FormError("notice", "ett meddelande behöver både allvarlighetsgrad och text")
        rule["notice"] = {"severity": severity, "text": text}
    rule["rationale"] = one("rationale")
    source = {"document": one("source_document"), "section": one("source_section")}
    if one("source_quote"):
        source["quote"] = one("source_quote")
    if one("source_note"):
        source["note"] = one("source_note")
    rule["source"] = source
    valid_from, valid_to = _date(one("valid_from"), "valid_from"), _date(one("valid_to"), "valid_to")
    if valid_from:
        rule["valid_from"] = valid_from
    if valid_to:
        rule["valid_to"] = valid_to
    if one("status") and one("status") != "källa":
        rule["status"] = one("status")
    assumptions = assumption_lines(one("assumptions"))
    if assumptions or (isinstance(original, dict) and original.get("assumptions") == []):
        rule["assumptions"] = assumptions
    for key in FORMLESS_KEYS:
        if isinstance(original, dict) and key in original:
            rule[key] = original[key]
    return _keep_explicit_defaults({k: rule[k] for k in RULE_KEYS if k in rule}, original)


def assumption_lines(text: str) -> list[str]:
    """The assumptions textarea: one assumption per non-empty line."""
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


# loader messages that name the field they are about (reported on the item's first line)
MESSAGE_FIELDS = (("motivering under assumptions", "assumptions"),
                  ("valid_from ligger efter valid_to", "valid_from"),
                  ("åldersintervallet är omvänt", "alder"))


@dataclass
class FieldErrors:
    by_field: dict[str, list[str]] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)  # errors elsewhere in the pack

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.by_field.setdefault(name, []).append(message)
        else:
            self.other.append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.other)


def map_errors(errors: list[str], path: str, item_start: int, item_text: str) -> FieldErrors:
    """Loader errors (`file:line: message`) → the field of the edited rule they name."""
    out = FieldErrors()
    offsets = key_lines(item_text)
    count = len(item_text.splitlines())
    for text in errors:
        m = re.match(r"^(.*?):(\d+): (.*)$", text, re.S)
        if m and m.group(1) == path:
            offset = int(m.group(2)) - 1 - item_start
            if 0 <= offset < count:
                # the model's own checks name the item's first line; some messages name their field
                named = next((f for needle, f in MESSAGE_FIELDS if needle in m.group(3)), None)
                out.add(named or offsets.get(offset, "id"), m.group(3))
                continue
        out.add(None, text)
    return out


# --------------------------------------------------------------------------- insatser and behov
@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    kind: str  # text | textarea | level | status | age | expecting | source | lines
    hint: str = ""
    required: bool = False
    default: Any = None  # the model's default: a value equal to it is left out unless the file wrote it


INSATS_FIELDS = (
    Spec("id", "Insatsens id", "text", "Små bokstäver, siffror och bindestreck; reglerna pekar på det.", True),
    Spec("name", "Namn", "text", "Som personalen och föräldrarna känner insatsen.", True),
    Spec("level", "Nivå", "level", required=True),
    Spec("age_months", "Ålder", "age"),
    Spec("expecting", "Gäller också blivande föräldrar (barnet är inte fött)", "expecting", default=False),
    Spec("format", "Form", "text", "Till exempel grupp, hembesök, antal träffar."),
    Spec("provider", "Vem ger insatsen", "text"),
    Spec("description", "Beskrivning", "textarea"),
    Spec("source", "Källa", "source", required=True),
    Spec("status", "Grund", "status"),
    Spec("assumptions", "Antaganden", "lines", "Ett antagande per rad: vad som inte står i källan, och varför. "
         "Krävs när grunden är antagande."),
)
NEED_FIELDS = (
    Spec("code", "Behovskod", "text", "Små bokstäver, siffror och understreck; reglerna pekar på den.", True),
    Spec("label", "Etikett", "text", "Kort, så att en förälder förstår den.", True),
    Spec("description", "Beskrivning", "textarea"),
    Spec("group", "Grupp", "text", "Styr vilka kryssrutor som visas tillsammans på beslutsstödets sida."),
    Spec("expecting", "Behovet kan finnas innan barnet är fött (blivande föräldrar)", "expecting", default=True),
    Spec("age_months", "Ålder", "age", "Åldrar där behovet kan finnas (kartläggningen)."),
    Spec("source", "Källa", "source"),
    Spec("status", "Grund", "status"),
    Spec("assumptions", "Antaganden", "lines", "Ett antagande per rad: vad som inte står i källan, och varför. "
         "Krävs när grunden är antagande."),
)
ITEM_FILES = {"insatser.yaml": ("insatser", INSATS_FIELDS, "insats"), "behov.yaml": ("needs", NEED_FIELDS, "behov")}


def items_of(text: str, path: str) -> list[Item]:
    return _items(text, ITEM_FILES[path][0])


def form_from_item(specs: tuple[Spec, ...], data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for sp in specs:
        v = data.get(sp.key)
        if sp.kind == "age":
            age = v if isinstance(v, dict) else {}
            out["alder_fran_ar"], out["alder_fran_man"] = split_months(age.get("min") if age else None)
            out["alder_till_ar"], out["alder_till_man"] = split_months(age.get("max") if age else None)
        elif sp.kind == "expecting":
            out["expecting"] = "ja" if data.get(sp.key, sp.default) else ""
        elif sp.kind == "source":
            src = v if isinstance(v, dict) else {}
            for part in ("document", "section", "quote", "note"):
                out[f"source_{part}"] = str(src.get(part) or "")
        elif sp.kind == "lines":
            out[sp.key] = "\n".join(str(x) for x in (v or []))
        elif sp.kind == "status":
            out[sp.key] = str(v or "källa")
        else:
            out[sp.key] = "" if v is None else str(v)
    return out


def item_from_form(specs: tuple[Spec, ...], form: dict[str, Any], original: dict[str, Any] | None = None) -> dict[str, Any]:
    def one(name: str) -> str:
        value = form.get(name) or [""]
        return (value[0] if isinstance(value, list) else str(value)).strip()

    item: dict[str, Any] = {}
    original = original if isinstance(original, dict) else {}
    for sp in specs:
        if sp.kind == "age":
            amin = join_months(one("alder_fran_ar"), one("alder_fran_man"), "från")
            amax = join_months(one("alder_till_ar"), one("alder_till_man"), "till")
            if (amin is None) != (amax is None):
                raise FormError("alder", "ange både från- och till-ålder, eller ingen (alla åldrar)")
            if amin is not None:
                item["age_months"] = {"min": amin, "max": amax}
        elif sp.kind == "expecting":
            value = bool(one("expecting"))
            if value != bool(sp.default) or "expecting" in original:
                item["expecting"] = value
        elif sp.kind == "source":
            src = {p: one(f"source_{p}") for p in ("document", "section", "quote", "note") if one(f"source_{p}")}
            if src:
                item["source"] = src
        elif sp.kind == "lines":
            lines = assumption_lines(one(sp.key))
            if lines or original.get(sp.key) == []:  # an emptied list goes; one written empty stays
                item[sp.key] = lines
        elif sp.kind == "status":
            if one(sp.key) and (one(sp.key) != "källa" or sp.key in original):
                item[sp.key] = one(sp.key)
        elif one(sp.key) or sp.required:
            item[sp.key] = one(sp.key)
    return item
