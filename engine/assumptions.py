"""Rules that rest on the region's own judgement (`status: antagande`), for the policy staff.

The strategy states some things; others the pack infers (each with its reason under
`assumptions`). Answers mark a recommendation resting only on such rules (`rule_basis`,
`rule_basis_reason`); this module lists them all, with where they are written, so that /redaktion
can show every assumption for the policy staff to confirm (cite a passage) or remove.
"""
from __future__ import annotations

from dataclasses import dataclass

from .loader import Pack
from .models import PresentAs, Status


@dataclass(frozen=True)
class AssumedRule:
    """One rule resting on an assumption: where it is, what it gives, and why it is assumed."""

    rule_id: str
    file: str  # pack-relative, e.g. regler/05-selektiv-riskfaktorer.yaml
    line: int  # the line of the rule's list item
    index: int  # the rule's position in its file (0-based; the workspace's rule form takes it as nr)
    level: str
    recommends: tuple[str, ...]  # insats ids (empty for a notice rule)
    present_as: str  # rekommendation or program_i_lanet
    needs: tuple[str, ...]  # the need codes the rule asks for
    reasons: tuple[str, ...]  # the rule's `assumptions`
    source_document: str
    source_section: str

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


def assumption_rules(pack: Pack) -> list[AssumedRule]:
    """Every rule of the pack with `status: antagande`, in pack order (file, then line)."""
    out = []
    in_file: dict[str, int] = {}
    for rule in pack.rules:
        file, line = pack.locations.get(f"rule:{rule.id}", (pack.rule_files.get(rule.id, ""), 1))
        index = in_file[file] = in_file.get(file, -1) + 1
        if rule.status is not Status.antagande:
            continue
        out.append(AssumedRule(
            rule_id=rule.id, file=file, line=line, index=index, level=rule.level.value, recommends=tuple(rule.recommend),
            present_as=(rule.present_as or PresentAs.rekommendation).value,
            needs=tuple(dict.fromkeys((*rule.when.needs_any, *rule.when.needs_all))),
            reasons=tuple(a.strip() for a in rule.assumptions if a.strip()),
            source_document=rule.source.document, source_section=rule.source.section,
        ))
    return out
