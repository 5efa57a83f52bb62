"""Lint findings for a valid rule pack: things that are allowed but probably not meant.

Pure: reads a Pack. Every message is Swedish. Kinds:

* `overlappande-regler`: two rules recommend the same insats, some family matches both (ages or
  expecting overlap, kommuner intersect, validity windows intersect; needs never contradict
  each other) and they are triggered alike: the same need conditions, or one has none. Rules
  that reach one insats through different needs are deliberate and not reported.
* `regel-upphord`: the rule's validity window ended before the day checked: it can never fire.
* `regel-ersatt`: the rule ended, and a rule with the same condition took over (a law replaced).
* `regel-ej-borjat`: the rule only becomes valid after the day checked.
* `kalla-ur-kraft`: the rule is valid on days when the law it cites is not (pack.yaml
  `valid_from`/`valid_to` of the source document), e.g. a repealed law cited after its end.
* `alder-utanfor-insats`: the rule recommends an insats for ages the insats does not cover
  (no overlap at all: the recommendation is wrong for every family it matches).
* `insats-aldrig-rekommenderad`: no rule valid on the day recommends the insats.
* `behov-oanvant`: no rule asks for the need code.
* `universellt-stod-saknas`: months of age (0–216) or expecting where no universal rule without
  needs, valid on the day, applies in a kommun.
* `universellt-stod-bara-antaganden`: months of age (0–216) or expecting where every universal
  rule that applies rests on an assumption (the rule or its insats is `antagande`).

(Antagande without a reason is refused already when the pack is loaded.)
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .loader import Pack
from .models import MAX_AGE_MONTHS, Insats, Level, Rule


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # "varning" | "info"
    message: str
    file: str | None = None
    line: int | None = None
    rule_ids: tuple[str, ...] = field(default_factory=tuple)

    def where(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def __str__(self) -> str:
        prefix = f"{self.where()}: " if self.where() else ""
        return f"{prefix}{self.severity}: {self.message}"


def months_text(months: int) -> str:
    """96 -> '8 år', 18 -> '1 år 6 mån', 5 -> '5 mån'."""
    years, rest = divmod(months, 12)
    if years and rest:
        return f"{years} år {rest} mån"
    if years:
        return f"{years} år"
    return f"{rest} mån"


def _age_set(rule_or_insats_age, expecting: bool) -> tuple[tuple[int, int] | None, bool, bool]:
    """(age range or None, expecting, any_age)."""
    if rule_or_insats_age is None and not expecting:
        return None, True, True
    rng = (rule_or_insats_age.min, rule_or_insats_age.max) if rule_or_insats_age else None
    return rng, expecting, False


def _ages_overlap(a: Rule | Insats, b: Rule | Insats) -> bool:
    a_age, a_exp = _age_of(a)
    b_age, b_exp = _age_of(b)
    ra, ea, anya = _age_set(a_age, a_exp)
    rb, eb, anyb = _age_set(b_age, b_exp)
    if anya or anyb:
        return True
    if ea and eb:
        return True
    return ra is not None and rb is not None and max(ra[0], rb[0]) <= min(ra[1], rb[1])


def _age_of(x: Rule | Insats):
    if isinstance(x, Rule):
        return x.when.age_months, x.when.expecting
    return x.age_months, x.expecting


def _windows_overlap(a: Rule, b: Rule) -> bool:
    lo = max(a.valid_from or dt.date.min, b.valid_from or dt.date.min)
    hi = min(a.valid_to or dt.date.max, b.valid_to or dt.date.max)
    return lo <= hi


def _kommuner_overlap(a: Rule, b: Rule) -> bool:
    if not a.when.kommuner or not b.when.kommuner:
        return True
    return bool(set(a.when.kommuner) & set(b.when.kommuner))


def _same_trigger(a: Rule, b: Rule) -> bool:
    """Rules asking for different needs recommend the same insats for different reasons, by
    design. Overlap is worth a note when they ask for the same needs, or one asks for none."""
    a_needs = (frozenset(a.when.needs_any), frozenset(a.when.needs_all))
    b_needs = (frozenset(b.when.needs_any), frozenset(b.when.needs_all))
    no_needs = (frozenset(), frozenset())
    return a_needs == b_needs or a_needs == no_needs or b_needs == no_needs


def _ranges(values: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for v in values:
        if out and out[-1][1] == v - 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def _kommun_list(pack: Pack, codes: frozenset[str]) -> str:
    if len(codes) == len(pack.kommuner):
        return "alla kommuner"
    names = [pack.kommuner[c].name for c in pack.kommuner if c in codes]
    return ", ".join(names)


def lint_pack(pack: Pack, day: dt.date | None = None) -> list[Finding]:
    day = day or dt.date.today()
    findings: list[Finding] = []

    def at(rule: Rule) -> tuple[str | None, int | None]:
        return pack.locations.get(f"rule:{rule.id}", (None, None))

    # rules that can never fire, or not yet
    for rule in pack.rules:
        f, ln = at(rule)
        successor = next((r for r in pack.rules if r is not rule and r.when == rule.when and r.valid_on(day)
                          and rule.valid_to and r.valid_from and r.valid_from > rule.valid_to), None)
        if rule.valid_to and rule.valid_to < day and successor is not None:
            findings.append(Finding("regel-ersatt", "info",
                                    f"Regeln {rule.id} gällde till {rule.valid_to.isoformat()} och har ersatts av "
                                    f"{successor.id} (samma villkor, från {successor.valid_from.isoformat()}).",
                                    f, ln, (rule.id, successor.id)))
        elif rule.valid_to and rule.valid_to < day:
            findings.append(Finding("regel-upphord", "varning",
                                    f"Regeln {rule.id} gällde till {rule.valid_to.isoformat()} och kan inte längre ge någon rekommendation.",
                                    f, ln, (rule.id,)))
        elif rule.valid_from and rule.valid_from > day:
            findings.append(Finding("regel-ej-borjat", "info",
                                    f"Regeln {rule.id} gäller först från {rule.valid_from.isoformat()}.",
                                    f, ln, (rule.id,)))
        for insats_id in rule.recommend:
            insats = pack.insatser[insats_id]
            if not _ages_overlap(rule, insats):
                findings.append(Finding("alder-utanfor-insats", "varning",
                                        f"Regeln {rule.id} rekommenderar {insats.name} för åldrar som insatsen inte omfattar.",
                                        f, ln, (rule.id,)))

    # rules citing a law outside the law's validity
    docs = {d.id: d for d in pack.meta.sources}
    for rule in pack.rules:
        doc = docs.get(rule.source.document)
        if doc is None:
            continue
        f, ln = at(rule)
        if doc.valid_to and (rule.valid_to is None or rule.valid_to > doc.valid_to):
            findings.append(Finding("kalla-ur-kraft", "varning",
                                    f"Regeln {rule.id} citerar {doc.title}, som gällde till {doc.valid_to.isoformat()}, "
                                    "men regeln gäller längre. Sätt valid_to eller citera lagen som gäller.",
                                    f, ln, (rule.id,)))
        if doc.valid_from and (rule.valid_from is None or rule.valid_from < doc.valid_from):
            findings.append(Finding("kalla-ur-kraft", "varning",
                                    f"Regeln {rule.id} citerar {doc.title}, som gäller från {doc.valid_from.isoformat()}, "
                                    "men regeln gäller tidigare. Sätt valid_from.",
                                    f, ln, (rule.id,)))

    # overlapping rules for the same insats
    for i, a in enumerate(pack.rules):
        for b in pack.rules[i + 1:]:
            shared = [x for x in a.recommend if x in b.recommend]
            if not shared:
                continue
            if (_ages_overlap(a, b) and _kommuner_overlap(a, b) and _windows_overlap(a, b)
                    and _same_trigger(a, b)):
                names = ", ".join(pack.insatser[x].name for x in shared)
                f, ln = at(b)
                findings.append(Finding("overlappande-regler", "info",
                                        f"Reglerna {a.id} och {b.id} kan båda träffa samma familj och rekommenderar båda {names}.",
                                        f, ln, (a.id, b.id)))

    # insatser never recommended
    live = [r for r in pack.rules if r.valid_on(day)]
    recommended = {i for r in live for i in r.recommend}
    for insats_id, insats in pack.insatser.items():
        if insats_id not in recommended:
            f, ln = pack.locations.get(f"insats:{insats_id}", (None, None))
            findings.append(Finding("insats-aldrig-rekommenderad", "varning",
                                    f"Insatsen {insats.name} ({insats_id}) rekommenderas inte av någon gällande regel.",
                                    f, ln))

    # need codes no rule uses
    used = {c for r in pack.rules for c in (*r.when.needs_any, *r.when.needs_all)}
    for code, need in pack.needs.items():
        if code not in used:
            f, ln = pack.locations.get(f"need:{code}", (None, None))
            findings.append(Finding("behov-oanvant", "info",
                                    f"Behovet '{need.label}' ({code}) används inte av någon regel.", f, ln))

    findings.extend(universal_gaps(pack, day))
    findings.extend(universal_assumptions(pack, day))
    return findings


def _rests_on_assumption(pack: Pack, rule: Rule) -> bool:
    return rule.status.value == "antagande" or all(
        pack.insatser[i].status.value == "antagande" for i in rule.recommend)


def universal_assumptions(pack: Pack, day: dt.date | None = None) -> list[Finding]:
    """Ages (and expecting) where universal support exists but rests only on assumptions."""
    day = day or dt.date.today()
    rules = _universal_rules(pack, day)
    kommuner = list(pack.kommuner)
    findings: list[Finding] = []

    def only_assumed(kommun: str, months: int | None) -> bool:
        covering = [r for r in rules if _covers(r, kommun, months)]
        return bool(covering) and all(_rests_on_assumption(pack, r) for r in covering)

    exp = frozenset(k for k in kommuner if only_assumed(k, None))
    if exp:
        findings.append(Finding("universellt-stod-bara-antaganden", "info",
                                f"Det universella stödet för blivande föräldrar i {_kommun_list(pack, exp)} "
                                "bygger bara på antaganden."))
    by_set: dict[frozenset[str], list[int]] = {}
    for m in range(MAX_AGE_MONTHS + 1):
        ks = frozenset(k for k in kommuner if only_assumed(k, m))
        if ks:
            by_set.setdefault(ks, []).append(m)
    spans = [(lo, hi, ks) for ks, months in by_set.items() for lo, hi in _ranges(months)]
    for lo, hi, ks in sorted(spans, key=lambda s: s[0]):
        age = months_text(lo) if lo == hi else f"{months_text(lo)} – {months_text(hi)}"
        k0 = next(iter(ks))
        names = sorted({pack.insatser[i].name for m in range(lo, hi + 1) for r in rules
                        if _covers(r, k0, m) for i in r.recommend})
        findings.append(Finding("universellt-stod-bara-antaganden", "info",
                                f"Det universella stödet för barn {age} ({lo}–{hi} mån) i {_kommun_list(pack, ks)} "
                                f"bygger bara på antaganden ({', '.join(names)}). Be kommunerna bekräfta det."))
    return findings


def _universal_rules(pack: Pack, day: dt.date) -> list[Rule]:
    return [r for r in pack.rules
            if r.level == Level.universell and r.recommend and r.valid_on(day)
            and not r.when.needs_any and not r.when.needs_all]


def _covers(rule: Rule, kommun: str, months: int | None) -> bool:
    if rule.when.kommuner and kommun not in rule.when.kommuner:
        return False
    when = rule.when
    if when.age_months is None and not when.expecting:
        return True
    if months is None:
        return when.expecting
    return when.age_months is not None and when.age_months.contains(months)


def universal_gaps(pack: Pack, day: dt.date | None = None) -> list[Finding]:
    """Ages (and expecting) where some kommun has no universal rule at all."""
    day = day or dt.date.today()
    rules = _universal_rules(pack, day)
    kommuner = list(pack.kommuner)
    findings: list[Finding] = []

    lacking_expecting = frozenset(k for k in kommuner if not any(_covers(r, k, None) for r in rules))
    if lacking_expecting:
        findings.append(Finding("universellt-stod-saknas", "varning",
                                f"Inget universellt stöd för blivande föräldrar i {_kommun_list(pack, lacking_expecting)}."))

    by_set: dict[frozenset[str], list[int]] = {}
    for m in range(MAX_AGE_MONTHS + 1):
        lacking = frozenset(k for k in kommuner if not any(_covers(r, k, m) for r in rules))
        if lacking:
            by_set.setdefault(lacking, []).append(m)
    spans = [(lo, hi, ks) for ks, months in by_set.items() for lo, hi in _ranges(months)]
    for lo, hi, ks in sorted(spans, key=lambda s: s[0]):
        age = f"{months_text(lo)}" if lo == hi else f"{months_text(lo)} – {months_text(hi)}"
        findings.append(Finding("universellt-stod-saknas", "varning",
                                f"Inget universellt stöd för barn {age} ({lo}–{hi} mån) i {_kommun_list(pack, ks)}."))
    return findings
