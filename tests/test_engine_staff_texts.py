"""What staff read carries no notes to editors (issue 18 item 25): the safeguarding notice cites
the law, and what an editor must still check lives in the pack's `source.note`, never shown."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from engine import DEFAULT_PACK, Engine, Family, decision_json, load_pack

EDITOR_NOTE = re.compile(r"verifiera|till redaktör|kontrolleras|TODO|FIXME", re.IGNORECASE)


@pytest.fixture(scope="module")
def pack():
    return load_pack(DEFAULT_PACK)


def test_no_text_shown_to_staff_holds_an_editors_note(pack):
    for rule in pack.rules:
        shown = [rule.rationale, rule.source.section, rule.notice.text if rule.notice else ""]
        for text in shown:
            assert not EDITOR_NOTE.search(text), f"{pack.locations['rule:' + rule.id]}: {text[:80]}"
    for (kommun, insats), entry in pack.availability.items():
        shown = [entry.reason or "", entry.source.section if entry.source else ""]
        assert not any(EDITOR_NOTE.search(t) for t in shown), (kommun, insats, shown)


@pytest.mark.parametrize("day,law", [(dt.date(2025, 3, 1), "socialtjänstlagen (2001:453) 14 kap. 1 §"),
                                     (dt.date(2026, 11, 24), "socialtjänstlagen (2025:400)")])
def test_the_safeguarding_notice_cites_the_law_in_force_without_editor_notes(day, law):
    eng = Engine.load(DEFAULT_PACK, evaluator="reference", cache_size=0)
    try:
        decision = eng.decide(Family(kommun="Örebro", age_months=96, needs=["vald_eller_omsorgssvikt"], date=day))
    finally:
        eng.close()
    critical = decision.notices[0]
    assert critical.severity.value == "critical" and law in critical.text
    assert not EDITOR_NOTE.search(decision_json(decision).decode("utf-8"))


def test_the_editors_note_stays_in_the_pack(pack):
    rule = next(r for r in pack.rules if r.id == "skydd-anmalningsskyldighet")
    assert rule.source.note and "kapitel och paragraf" in rule.source.note
