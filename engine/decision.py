"""From the ids of the rules that matched to the answer: recommendations, level, notices.

Shared by both evaluators, so they can differ only in which rules match. Every recommendation
names every rule that recommended it (`rule_ids`, `reasons`, and a `rationale` covering them
all), the family's needs that led to it (`triggered_by`) and the basis of its availability.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .loader import Pack
from .models import (
    SEVERITY_RANK,
    Decision,
    Level,
    Notice,
    NormalizedFamily,
    Reason,
    Recommendation,
    Rule,
    RulesetInfo,
    Severity,
    SourceOut,
    Status,
)


def _source(pack: Pack, ref) -> SourceOut:
    """The answer's form of a source reference, built once per reference of the pack."""
    memo = pack.__dict__.setdefault("_source_out_memo", {})
    out = memo.get(id(ref))
    if out is None or out[0] is not ref:
        out = (ref, SourceOut(document=ref.document, section=ref.section,
                              title=pack.source_title(ref.document), quote=ref.quote))
        memo[id(ref)] = out
    return out[1]


def _triggered_by(rule: Rule, family: NormalizedFamily) -> list[str]:
    asked = (*rule.when.needs_any, *rule.when.needs_all)
    return [code for code in dict.fromkeys(asked) if code in family.needs]


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
    rules = pack.rules_in_order(matched)  # pack order, whatever the engine's order
    by_insats: dict[str, list[Rule]] = {}
    notices: list[Notice] = []
    for rule in rules:
        if rule.notice is not None:
            notices.append(Notice(severity=rule.notice.severity, text=rule.notice.text, rule_id=rule.id))
        for insats_id in rule.recommend:
            by_insats.setdefault(insats_id, []).append(rule)
    order = {r.id: i for i, r in enumerate(rules)}
    recs: list[Recommendation] = []
    for insats_id, recommending in by_insats.items():
        # the primary rule: the highest level, then pack order
        primary = min(recommending, key=lambda r: (-r.level.rank, order[r.id]))
        ordered = [primary, *(r for r in recommending if r is not primary)]
        reasons = [Reason(rule_id=r.id, level=r.level, rationale=r.rationale,
                          triggered_by=_triggered_by(r, family), source=_source(pack, r.source),
                          status=r.status) for r in ordered]
        triggered = [code for code in dict.fromkeys(c for rs in reasons for c in rs.triggered_by)]
        insats = pack.insatser[insats_id]
        avail = pack.availability_of(family.kommun, insats_id)
        status = avail.status_on(family.date) if avail else pack.availability_status(family.kommun, insats_id)
        # källa when at least one recommending rule rests on its cited passage
        rule_status = Status.kalla if any(r.status == Status.kalla for r in recommending) else Status.antagande
        recs.append(Recommendation(
            insats_id=insats_id,
            name=insats.name,
            level=primary.level,
            rule_id=primary.id,
            rule_ids=[r.id for r in ordered],
            rationale=" ".join(dict.fromkeys(r.rationale.strip() for r in ordered)),
            source=_source(pack, primary.source),
            availability=status,
            availability_basis=avail.basis if avail and status.value != "okänd" else None,
            availability_verified=avail.verified if avail else None,
            availability_reason=avail.reason if avail else None,
            availability_source=_source(pack, avail.source) if avail and avail.source else None,
            availability_planned_from=avail.planned_from if avail else None,
            triggered_by=triggered,
            reasons=reasons,
            contact=avail.contact if avail else None,
            description=insats.description,
            format=insats.format,
            provider=insats.provider,
            status=insats.status if rule_status == Status.kalla else rule_status,
        ))
    recs.sort(key=lambda r: (r.level.rank, order[r.rule_id]))
    warning = validity_notice(pack, family.date)
    if warning is not None:
        notices.append(warning)
    notices.sort(key=lambda n: SEVERITY_RANK[n.severity])
    level = max((r.level for r in recs), key=lambda lv: lv.rank, default=Level.universell)
    return Decision(
        level=level,
        recommendations=recs,
        notices=notices,
        ruleset=RulesetInfo(name=pack.name, version=pack.version),
    )
