"""Issue 18 item 24: every rule of the served version that rests on the region's own judgement
(`status: antagande`), for the policy staff in /redaktion to confirm (cite the passage that says
it, `status: källa`) or remove, each with where it is written and the rule form to open it in.

Data only: the "Antaganden" page renders `assumed_rules`; engine.assumptions finds the rules.
"""
from __future__ import annotations

import urllib.parse
from typing import Any

from sqlalchemy.orm import Session

from engine.assumptions import assumption_rules

from . import store


def rule_form_path(draft_id: int, file: str, index: int) -> str:
    """The workspace's rule form for the rule at `index` of `file` in a draft."""
    return f"/redaktion/utkast/{draft_id}/regel?sokvag={urllib.parse.quote(file)}&nr={index}"


def assumed_rules(s: Session) -> dict[str, Any]:
    """The served version's assumption-based rules, in pack order, with what they recommend and
    for which needs (names as staff read them), the reason given, and the source they name."""
    pack = store._current_pack(s)
    current = store.current_version(s)
    rules = []
    for r in assumption_rules(pack):
        rules.append({
            "rule_id": r.rule_id, "file": r.file, "line": r.line, "index": r.index, "level": r.level,
            "present_as": r.present_as,
            "recommends": [(i, pack.insatser[i].name if i in pack.insatser else i) for i in r.recommends],
            "needs": [(n, pack.needs[n].label if n in pack.needs else n) for n in r.needs],
            "reasons": list(r.reasons), "reason": r.reason,
            "source_document": r.source_document, "source_title": pack.source_title(r.source_document) or r.source_document,
            "source_section": r.source_section,
        })
    files = sorted({r["file"] for r in rules})
    return {"version_number": current.number, "version": current.version, "rules": rules, "files": files,
            "total_rules": len(pack.rules)}
