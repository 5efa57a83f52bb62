"""The answer says on what each part rests (issue 18 items 7, 23, 24): a fact from a source, the
kommun's own word and an assumption get distinct marks and words; programmes used in the län are
one short group apart from the recommendations (never in the parent's printout); a
recommendation resting on the region's own judgement is shown apart with its reason; a notice
about a need names the need. The same in `foraldrastod recommend`."""
from __future__ import annotations

import copy
import re

from engine import load_pack
from service.cli import _print_decision
from service.pages import answer


def rec(insats, name, level="universell", basis="källa", rule_basis="källa", **extra):
    out = {"insats_id": insats, "name": name, "level": level, "rule_id": "r-" + insats, "rationale": "Motivering.",
           "source": {"document": "d", "section": "4", "title": "Strategin"}, "availability": "finns",
           "status": rule_basis, "availability_basis": basis, "availability_verified": "2026-10-01",
           "triggered_by": [], "rule_basis": rule_basis, "rule_basis_reason": None}
    out.update(extra)
    return out


BODY = {
    "level": "selektiv",
    "recommendations": [
        rec("bvc", "Barnavårdscentral", basis="antagande", availability_reason="alla kommuner har BVC"),
        rec("familjecentral", "Familjecentral", basis="kommunens uppgift"),
        rec("oppen-forskola", "Öppen förskola", basis="källa",
            availability_source={"document": "d", "title": "Kommunens webb"}),
        rec("oppen-ingang", "Familjebehandling öppen ingång", level="selektiv", rule_basis="antagande",
            rule_basis_reason="Riskfaktorn leder till stöd enligt en tolkning.", triggered_by=["oro_familjens_ekonomi"]),
    ],
    "notices": [{"severity": "info", "text": "Behovet leder inte till någon insats före födelsen.",
                 "rule_id": None, "need": "barn_som_anhorig"}],
    "ruleset": {"name": "orebro-lan", "version": "2024.1+abc"},
    "programs_in_lan": [
        {"insats_id": "icdp", "name": "ICDP – Vägledande samspel", "rule_id": "p1", "description": "Samspel i grupp.",
         "format": "Grupp", "provider": "BVC", "kommuner": [], "status": "antagande",
         "source": {"document": "presentation-2022", "section": "Kartläggning", "title": "Presentationen 2022",
                    "quote": "ICDP"}},
        {"insats_id": "cope", "name": "COPE", "rule_id": "p2", "description": None, "format": None,
         "provider": None, "kommuner": ["1880", "1884"], "status": "antagande",
         "source": {"document": "presentation-2022", "section": "Kartläggning", "title": "Presentationen 2022"}},
    ],
}


def card(out: str, insats: str) -> str:
    part = out[out.index(f'data-insats="{insats}"'):]
    return part[: part.index("</li>")]


def badge(part: str) -> str:
    m = re.search(r'<span class="tillgang [^"]*">(.*?)</span></p>', part)
    return re.sub(r"<[^>]+>", "", m.group(1).split('<span class="grund">')[0]).strip()


def test_assumed_availability_has_its_own_mark_and_words():
    out = answer.render_answer(BODY, load_pack(), "Nora")
    assumed, told, sourced = card(out, "bvc"), card(out, "familjecentral"), card(out, "oppen-forskola")
    # three distinct classes and three distinct texts (not colour alone)
    classes = [re.search(r'class="tillgang (tillgang-[\w-]+)"', c).group(1) for c in (assumed, told, sourced)]
    assert len(set(classes)) == 3, classes
    texts = [badge(c) for c in (assumed, told, sourced)]
    assert len(set(texts)) == 3, texts
    assert "✓" not in texts[0] and "Antas" in texts[0] and "alla kommuner har BVC" in assumed
    assert "✓" in texts[1] and "kommunen" in texts[1].lower()
    assert "✓" in texts[2] and "Kommunens webb" in sourced


def test_rule_basis_antagande_is_shown_apart_with_its_reason():
    out = answer.render_answer(BODY, load_pack(), "Nora")
    part = card(out, "oppen-ingang")
    assert "Regionens egen bedömning – står inte uttryckligen i strategin" in part
    assert "Riskfaktorn leder till stöd enligt en tolkning." in part
    assert "Regionens egen bedömning" not in card(out, "familjecentral")


def test_programs_in_lan_are_one_group_after_the_recommendations_not_in_the_printout():
    out = answer.render_answer(BODY, load_pack(), "Nora")
    assert "Program som används i länet" in out
    group = out[out.index("Program som används i länet"):out.index('class="for-foraldern"')]
    assert out.index("Program som används i länet") > out.index('data-insats="bvc"')
    assert "ICDP – Vägledande samspel" in group and "Samspel i grupp." in group
    assert "Var programmet ges är inte känt" in group
    assert "Ges i: Örebro, Nora" in group
    assert "Presentationen 2022" in group
    assert "tillgang" not in group and "Röd" not in group and "Grön" not in group
    printout = out[out.index('class="for-foraldern"'):]
    assert "ICDP" not in printout and "COPE" not in printout
    # and a programme is never a recommendation card
    assert 'data-insats="icdp"' not in out


def test_notice_with_a_need_names_the_need():
    pack = load_pack()
    out = answer.render_answer(BODY, pack, "Nora")
    notice = out[out.index('class="notis'):]
    notice = notice[: notice.index("</div>")]
    assert pack.needs["barn_som_anhorig"].label in notice


def test_recommend_text_output_says_the_same(capsys):
    pack = load_pack()
    _print_decision(copy.deepcopy(BODY), pack)
    out = capsys.readouterr().out
    assert "antas finnas" in out.lower()
    assert "Regionens egen bedömning – står inte uttryckligen i strategin" in out
    assert "Riskfaktorn leder till stöd enligt en tolkning." in out
    assert "Program som används i länet" in out and "Var programmet ges är inte känt" in out
    assert "Ges i: Örebro, Nora" in out
    assert pack.needs["barn_som_anhorig"].label in out
    # need labels, never codes, for the staff
    assert "oro_familjens_ekonomi" not in out and pack.needs["oro_familjens_ekonomi"].label in out
    # the programmes come after every recommendation
    assert out.index("Program som används i länet") > out.index("Familjebehandling öppen ingång")


def test_parent_printout_has_no_coding_words():
    """'Här kodas de universella nivåerna' is a note to editors, not to parents (item 17)."""
    pack = load_pack()
    for insats in pack.insatser.values():
        for word in ("kodas", "kodad", "kodat"):
            assert word not in (insats.description or ""), (insats.id, insats.description)
