"""From the ids of the rules that matched to the answer: recommendations, level, notices.

Shared by both evaluators, so they can differ only in which rules match.
"""
from __future__ import annotations

from collections.abc import Iterable

from .loader import Pack
from .models import (
    SEVERITY_RANK,
    Decision,
    Level,
    Notice,
    NormalizedFamily,
    Recommendation,
    RulesetInfo,
    SourceOut,
)


def _source(pack: Pack, ref) -> SourceOut:
    return SourceOut(
        document=ref.document,
        section=ref.section,
        title=pack.source_title(ref.document),
        quote=ref.quote,
    )


def build_decision(pack: Pack, family: NormalizedFamily, matched: Iterable[str]) -> Decision:
    rules = pack.rules_in_order(matched)  # pack order, whatever the engine's order
    by_insats: dict[str, Recommendation] = {}
    notices: list[Notice] = []
    for rule in rules:
        if rule.notice is not None:
            notices.append(Notice(severity=rule.notice.severity, text=rule.notice.text, rule_id=rule.id))
        for insats_id in rule.recommend:
            existing = by_insats.get(insats_id)
            if existing is not None:
                existing.rule_ids.append(rule.id)
                if rule.level.rank > existing.level.rank:
                    existing.level = rule.level
                    existing.rule_id = rule.id
                    existing.rationale = rule.rationale
                    existing.source = _source(pack, rule.source)
                continue
            insats = pack.insatser[insats_id]
            avail = pack.availability_of(family.kommun, insats_id)
            by_insats[insats_id] = Recommendation(
                insats_id=insats_id,
                name=insats.name,
                level=rule.level,
                rule_id=rule.id,
                rule_ids=[rule.id],
                rationale=rule.rationale,
                source=_source(pack, rule.source),
                availability=pack.availability_status(family.kommun, insats_id),
                availability_source=_source(pack, avail.source) if avail else None,
                contact=avail.contact if avail else None,
                description=insats.description,
                format=insats.format,
                provider=insats.provider,
                status=insats.status if rule.status.value == "källa" else rule.status,
            )
    order = {r.id: i for i, r in enumerate(rules)}
    recs = sorted(by_insats.values(), key=lambda r: (r.level.rank, order[r.rule_id]))
    notices.sort(key=lambda n: SEVERITY_RANK[n.severity])
    level = max((r.level for r in recs), key=lambda lv: lv.rank, default=Level.universell)
    return Decision(
        level=level,
        recommendations=recs,
        notices=notices,
        ruleset=RulesetInfo(name=pack.name, version=pack.version),
    )
