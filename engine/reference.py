"""The reference evaluator: plain Python that defines what a rule pack means.

The durable_rules executor must return exactly the rules this module matches, for every pack
and every family (tests/test_equivalence.py checks it with hypothesis).
"""
from __future__ import annotations

from .loader import Pack
from .models import NormalizedFamily, Rule


def rule_matches(rule: Rule, family: NormalizedFamily) -> bool:
    if not rule.valid_on(family.date):
        return False
    when = rule.when
    if when.age_months is not None or when.expecting:
        by_expecting = when.expecting and family.expecting
        by_age = (
            when.age_months is not None
            and family.age_months is not None
            and when.age_months.contains(family.age_months)
        )
        if not (by_expecting or by_age):
            return False
    if when.needs_any and not family.needs.intersection(when.needs_any):
        return False
    if not family.needs.issuperset(when.needs_all):
        return False
    if when.kommuner and family.kommun not in when.kommuner:
        return False
    return True


class ReferenceEvaluator:
    """Matches rules one by one, in pack order."""

    def __init__(self, pack: Pack):
        self.pack = pack

    def matching_rule_ids(self, family: NormalizedFamily) -> list[str]:
        return [rule.id for rule in self.pack.rules if rule_matches(rule, family)]

    def close(self) -> None:  # same interface as the durable executor
        pass
