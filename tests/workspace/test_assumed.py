"""Issue 18 item 24: /redaktion's list of every assumption-based rule of the served version."""
from __future__ import annotations

import yaml

from engine import DEFAULT_PACK, load_pack
from engine.models import Status
from service.workspace import assumed, store

PW = "ett-långt-lösenord-2026"
RISK = "regler/05-selektiv-riskfaktorer.yaml"


def test_every_assumption_rule_of_the_served_version_is_listed(session):
    pack = load_pack(DEFAULT_PACK)
    expected = [r.id for r in pack.rules if r.status is Status.antagande]
    out = assumed.assumed_rules(session)
    assert [r["rule_id"] for r in out["rules"]] == expected and len(expected) >= 3
    assert out["version_number"] == 1 and out["total_rules"] == len(pack.rules)
    risk = [r for r in out["rules"] if r["file"] == RISK]
    assert risk, out["files"]
    first = risk[0]
    assert first["reason"] and first["recommends"] and all(name for _, name in first["recommends"])
    # the index is the rule's position in its file: the rule form finds the same rule
    rules_in_file = yaml.safe_load((DEFAULT_PACK / RISK).read_text(encoding="utf-8"))["rules"]
    for r in risk:
        assert rules_in_file[r["index"]]["id"] == r["rule_id"]
    assert assumed.rule_form_path(7, RISK, first["index"]) == (
        f"/redaktion/utkast/7/regel?sokvag=regler/05-selektiv-riskfaktorer.yaml&nr={first['index']}")


def test_a_confirmed_rule_leaves_the_list(session):
    anna = store.add_user(session, "anna", "redaktor", PW)
    greta = store.add_user(session, "greta", "granskare", PW)
    before = assumed.assumed_rules(session)["rules"]
    target = next(r for r in before if r["file"] == RISK)
    d = store.create_draft(session, anna, "Antagandet bekräftat")
    data = yaml.safe_load(d.files[RISK])
    rule = data["rules"][target["index"]]
    text = d.files[RISK]
    block_start = text.index(f"id: {rule['id']}")
    block_end = text.find("\n  - id:", block_start)
    block = text[block_start:block_end if block_end > 0 else len(text)]
    assert "status: antagande" in block
    store.save_file(session, d.id, RISK, text.replace(block, block.replace("status: antagande", "status: källa")),
                    anna, d.revision)
    store.submit(session, d.id, anna, "Strategin säger det")
    store.approve(session, d.id, greta, features=False)
    after = assumed.assumed_rules(session)
    assert [r["rule_id"] for r in after["rules"]] == [r["rule_id"] for r in before if r["rule_id"] != rule["id"]]
    assert after["version_number"] == 2
