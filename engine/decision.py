"""From the ids of the rules that matched to the answer: recommendations, level, notices.

Shared by both evaluators, so they can differ only in which rules match. Every recommendation
names every rule that recommended it (`rule_ids`, `reasons`, and a `rationale` covering them
all), the family's needs that led to it (`triggered_by`) and the basis of its availability.

Speed: the parts of an answer that only depend on the pack are built once per pack and shared by
every answer (answer models are frozen). A recommendation depends on the family only through
its kommun, its needs that the recommending rules ask for, and the availability status on its
day, so one is built once per (kommun, insats, status, rules with their triggering needs) and
remembered. At most MEMO_SIZE recommendations and as many reasons are remembered per pack: the
first ones stay (the Örebro pack needs about 1100; a national pack has too many to remember them
all, and keeping the first avoids churn), the rest are built for each answer.
"""
from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .loader import Pack
from .models import (
    SEVERITY_RANK,
    Availability,
    AvailabilityBasis,
    AvailabilityEntry,
    Decision,
    Level,
    Notice,
    NormalizedFamily,
    PresentAs,
    ProgramInLan,
    Reason,
    Recommendation,
    Rule,
    RulesetInfo,
    Severity,
    SourceOut,
    Status,
)

MEMO_SIZE = 2048

# (rule id, the family's needs among those the rule asks for), in pack order
ReasonsKey = tuple[tuple[str, tuple[str, ...]], ...]


def _source(pack: Pack, ref) -> SourceOut:
    """The answer's form of a source reference, built once per reference of the pack."""
    memo = pack.__dict__.setdefault("_source_out_memo", {})
    out = memo.get(id(ref))
    if out is None or out[0] is not ref:
        out = (ref, SourceOut(document=ref.document, section=ref.section,
                              title=pack.source_title(ref.document), quote=ref.quote))
        memo[id(ref)] = out
    return out[1]


def _asked(rule: Rule) -> tuple[str, ...]:
    """The need codes a rule asks for, each once, in the rule's order."""
    return tuple(dict.fromkeys((*rule.when.needs_any, *rule.when.needs_all)))


@dataclass
class _AnswerParts:
    """The parts of answers built with one pack, remembered (see the module's docstring).

    It lives in the pack's `__dict__` and holds the pack only weakly: a strong reference would
    make a cycle, and the service freezes the garbage collector after a load (gc.freeze), so a
    replaced pack in a cycle would never be freed (measured: +21 MB per reload of the national
    pack)."""

    pack: Pack  # a weakref.proxy to the pack
    ruleset: RulesetInfo
    asked: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rule id -> the need codes it asks for
    notices: dict[str, Notice] = field(default_factory=dict)  # rule id -> its notice
    reasons: dict[tuple[str, tuple[str, ...]], Reason] = field(default_factory=dict)
    recommendations: dict[tuple, Recommendation] = field(default_factory=dict)
    programs: dict[tuple, ProgramInLan] = field(default_factory=dict)
    need_notices: dict[tuple, Notice] = field(default_factory=dict)

    @classmethod
    def of(cls, pack: Pack) -> _AnswerParts:
        parts = pack.__dict__.get("_answer_parts")
        if parts is None:
            parts = pack.__dict__["_answer_parts"] = cls(weakref.proxy(pack),
                                                          RulesetInfo(name=pack.name, version=pack.version))
        return parts

    def notice(self, rule: Rule) -> Notice:
        notice = self.notices.get(rule.id)
        if notice is None:
            notice = self.notices[rule.id] = Notice(
                severity=rule.notice.severity, text=rule.notice.text, rule_id=rule.id)
        return notice

    def triggered_by(self, rule: Rule, needs: frozenset[str]) -> tuple[str, ...]:
        """The family's needs among those the rule asks for."""
        asked = self.asked.get(rule.id)
        if asked is None:
            asked = self.asked[rule.id] = _asked(rule)
        return tuple(code for code in asked if code in needs) if asked and needs else ()

    def reason(self, rule: Rule, triggered: tuple[str, ...]) -> Reason:
        key = (rule.id, triggered)
        reason = self.reasons.get(key)
        if reason is None:
            reason = Reason(rule_id=rule.id, level=rule.level, rationale=rule.rationale, triggered_by=list(triggered),
                            source=_source(self.pack, rule.source), status=rule.status)
            if len(self.reasons) < MEMO_SIZE:
                self.reasons[key] = reason
        return reason

    def recommendation(self, family: NormalizedFamily, insats_id: str, recommending: Sequence[Rule]) -> Recommendation:
        """The recommendation of an insats by these rules (in pack order) for the family."""
        reasons_key: ReasonsKey = tuple((r.id, self.triggered_by(r, family.needs)) for r in recommending)
        avail = self.pack.availability_of(family.kommun, insats_id)
        status = avail.status_on(family.date) if avail else self.pack.availability_status(family.kommun, insats_id)
        key = (family.kommun, insats_id, status, reasons_key)
        rec = self.recommendations.get(key)
        if rec is None:
            rec = self._build(insats_id, recommending, reasons_key, avail, status)
            if len(self.recommendations) < MEMO_SIZE:
                self.recommendations[key] = rec
        return rec

    def _build(self, insats_id: str, recommending: Sequence[Rule], reasons_key: ReasonsKey,
               avail: AvailabilityEntry | None, status: Availability) -> Recommendation:
        pack = self.pack
        reason_of = {r.id: self.reason(r, triggered) for r, (_, triggered) in zip(recommending, reasons_key)}
        # the primary rule: the highest level, then pack order
        primary = max(recommending, key=lambda r: r.level.rank)  # max keeps the first of equals
        ordered = [primary, *(r for r in recommending if r is not primary)]
        reasons = [reason_of[r.id] for r in ordered]
        insats = pack.insatser[insats_id]
        # källa when at least one recommending rule rests on its cited passage
        rule_status = Status.kalla if any(r.status == Status.kalla for r in recommending) else Status.antagande
        basis_reason = None
        if rule_status == Status.antagande:
            basis_reason = " ".join(dict.fromkeys(a.strip() for r in ordered for a in r.assumptions if a.strip()))
        return Recommendation(
            insats_id=insats_id,
            name=insats.name,
            level=primary.level,
            rule_id=primary.id,
            rule_ids=[r.id for r in ordered],
            rationale=" ".join(dict.fromkeys(r.rationale.strip() for r in ordered)),
            source=_source(pack, primary.source),
            availability=status,
            availability_basis=avail.basis if avail and status != Availability.okand else None,
            availability_verified=avail.verified if avail else None,
            availability_reason=avail.reason if avail else None,
            availability_source=_source(pack, avail.source) if avail and avail.source else None,
            availability_planned_from=avail.planned_from if avail else None,
            triggered_by=list(dict.fromkeys(c for r in reasons for c in r.triggered_by)),
            reasons=reasons,
            contact=avail.contact if avail else None,
            description=insats.description,
            format=insats.format,
            provider=insats.provider,
            status=insats.status if rule_status == Status.kalla else rule_status,
            rule_basis=rule_status,
            rule_basis_reason=basis_reason,
        )

    def program(self, insats_id: str, rule: Rule, day: dt.date) -> ProgramInLan:
        """A programme used in the län, with the kommuner where a source or the kommun says it runs."""
        key = (insats_id, rule.id, day)
        prog = self.programs.get(key)
        if prog is None:
            pack = self.pack
            insats = pack.insatser[insats_id]
            known = (AvailabilityBasis.kalla, AvailabilityBasis.kommunens_uppgift)
            kommuner = [pack.kommuner[code].name for (code, ins), entry in pack.availability.items()
                        if ins == insats_id and code in pack.kommuner and entry.basis in known
                        and entry.status_on(day) == Availability.finns]
            prog = ProgramInLan(insats_id=insats_id, name=insats.name, rule_id=rule.id,
                                description=insats.description, format=insats.format, provider=insats.provider,
                                kommuner=sorted(kommuner), source=_source(pack, rule.source), status=rule.status)
            if len(self.programs) < MEMO_SIZE:
                self.programs[key] = prog
        return prog

    def need_notice(self, code: str, family: NormalizedFamily) -> Notice:
        """The notice for a need of the family that no matched rule answers: never silent."""
        key = (code, family.expecting)
        notice = self.need_notices.get(key)
        if notice is None:
            need = self.pack.needs.get(code)
            label = need.label if need is not None else code
            if family.expecting:
                text = (f"Behovet ”{label}” leder inte till någon insats före barnets födelse i regelpaketet. "
                        "Ta upp det med barnmorskan på mödrahälsovården (MVC) eller med socialtjänsten i "
                        "kommunen, som kan berätta vilket stöd som finns.")
            else:
                text = (f"Behovet ”{label}” leder inte till någon insats i regelpaketet för den här familjen. "
                        "Ta upp det med socialtjänsten i kommunen, som kan berätta vilket stöd som finns.")
            notice = Notice(severity=Severity.info, text=text, need=code)
            if len(self.need_notices) < MEMO_SIZE:
                self.need_notices[key] = notice
        return notice


def validity_notice(pack: Pack, day: dt.date) -> Notice | None:
    """`_validity_notice`, remembered per pack and day (it only depends on those)."""
    memo = pack.__dict__.setdefault("_validity_notice_memo", {})
    if day not in memo:
        if len(memo) > 64:
            memo.clear()
        memo[day] = _validity_notice(pack, day)
    return memo[day]


def _validity_notice(pack: Pack, day: dt.date) -> Notice | None:
    """A warning when rules of the pack do not apply on the day and nothing replaces them.

    A rule outside its validity window counts unless a rule valid on the day has the very same
    condition (a law replaced by a new one: the 2001 notice by the 2025 one). No rule valid at
    all, or some ended / not yet begun: the answer says so and shows what is still valid."""
    valid_conditions = [r.when for r in pack.rules if r.valid_on(day)]
    ended: list[Rule] = []
    not_begun: list[Rule] = []
    for rule in pack.rules:
        if rule.valid_on(day) or rule.when in valid_conditions:
            continue
        (ended if rule.valid_to is not None and rule.valid_to < day else not_begun).append(rule)
    when = day.isoformat()
    total = len(pack.rules)
    if not valid_conditions:
        return Notice(severity=Severity.warning, text=(
            f"Ingen regel i regelpaketet gäller den {when}. Svaret innehåller därför inga "
            "rekommendationer; kontrollera datumet eller be redaktören om ett regelpaket som gäller då."))
    if ended:
        last = max(r.valid_to for r in ended).isoformat()
        return Notice(severity=Severity.warning, text=(
            f"{len(ended)} av regelpaketets {total} regler gällde bara till och med {last} och "
            f"används inte den {when}. Svaret visar bara det som fortfarande gäller, till exempel "
            "stöd som vilar på lag eller nationella program."))
    if not_begun:
        first = min(r.valid_from for r in not_begun if r.valid_from is not None).isoformat()
        return Notice(severity=Severity.warning, text=(
            f"{len(not_begun)} av regelpaketets {total} regler gäller först från {first} och "
            f"används inte den {when}. Svaret visar bara det som gäller då."))
    return None


def build_decision(pack: Pack, family: NormalizedFamily, matched: Iterable[str]) -> Decision:
    parts = _AnswerParts.of(pack)
    rules = pack.rules_in_order(matched)  # pack order, whatever the engine's order
    by_insats: dict[str, list[Rule]] = {}
    programs: dict[str, Rule] = {}
    notices: list[Notice] = []
    answered: set[str] = set()  # the family's needs that a recommendation or a notice answers
    for rule in rules:
        if rule.notice is not None:
            notices.append(parts.notice(rule))
            answered.update(parts.triggered_by(rule, family.needs))
        if rule.present_as is PresentAs.program_i_lanet:
            for insats_id in rule.recommend:
                programs.setdefault(insats_id, rule)
            continue
        for insats_id in rule.recommend:
            by_insats.setdefault(insats_id, []).append(rule)
    recs = [parts.recommendation(family, insats_id, recommending) for insats_id, recommending in by_insats.items()]
    order = {r.id: i for i, r in enumerate(rules)}
    recs.sort(key=lambda r: (r.level.rank, order[r.rule_id]))
    if family.needs:
        for rec in recs:
            answered.update(rec.triggered_by)
        if len(answered) < len(family.needs):  # a need no rule answers gets a notice naming it
            order_of = _need_order(pack)
            for code in sorted(family.needs - answered, key=lambda c: order_of.get(c, len(order_of))):
                notices.append(parts.need_notice(code, family))
    warning = validity_notice(pack, family.date)
    if warning is not None:
        notices.append(warning)
    notices.sort(key=lambda n: SEVERITY_RANK[n.severity])
    level = max((r.level for r in recs), key=lambda lv: lv.rank, default=Level.universell)
    in_lan = [parts.program(insats_id, rule, family.date) for insats_id, rule in programs.items()
              if insats_id not in by_insats]
    return Decision(level=level, recommendations=recs, notices=notices, ruleset=parts.ruleset,
                    programs_in_lan=in_lan)


def _need_order(pack: Pack) -> dict[str, int]:
    """The pack's need codes by position (unknown codes last), remembered per pack."""
    order = pack.__dict__.get("_need_order")
    if order is None or len(order) != len(pack.needs):
        order = pack.__dict__["_need_order"] = {code: i for i, code in enumerate(pack.needs)}
    return order
