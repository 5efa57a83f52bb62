"""Every answer of a broad sample is byte for byte what main's engine gave before the decision
builder was made faster (tests/golden_decisions.py says what the sample is and how the golden
file was made)."""
from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from engine import answer_json, decision
from engine.loader import load_pack
from engine.runtime import Engine, decision_json
from tests.golden_decisions import body_of, cases, family_of, golden_packs, read_golden


@pytest.fixture(scope="module")
def golden() -> dict[str, dict]:
    return read_golden()


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[str, Path]:
    return golden_packs(tmp_path_factory.mktemp("golden"))


def _diff(expected: str, got: str) -> str:
    if json.loads(expected) == json.loads(got):  # same content, other bytes
        at = next(i for i, (a, b) in enumerate(zip(expected + "\0", got + "\1")) if a != b)
        return f"the same JSON, other bytes from position {at}: {expected[at - 20:at + 40]!r} / {got[at - 20:at + 40]!r}"
    lines = difflib.unified_diff(json.dumps(json.loads(expected), ensure_ascii=False, indent=1).splitlines(),
                                 json.dumps(json.loads(got), ensure_ascii=False, indent=1).splitlines(),
                                 "golden", "now", lineterm="", n=2)
    return "\n".join(list(lines)[:60])


def test_the_sample_covers_what_the_memos_depend_on(golden):
    """The sample must hold the answers that a wrong memo key would mix up: a planned insats
    before and after its start, validity notices of different days, needs that do and do not
    trigger the same rule."""
    reported = golden["orebro-lan+kommunuppgifter"]
    bodies = [json.loads(b) for b in reported["bodies"]]

    def availability(day: str) -> set[str]:
        found = set()
        for kommun, age, needs, d, i in reported["cases"]:
            if kommun == "1880" and d == day:
                found |= {r["availability"] for r in bodies[i]["recommendations"] if r["insats_id"] == "abc-tonar"}
        return found
    assert availability("2026-12-31") == {"saknas"} and availability("2027-01-01") == {"finns"}
    orebro = golden["orebro-lan"]
    notices = {d: {n["text"] for *_, d2, i in orebro["cases"] if d2 == d
                   for n in json.loads(orebro["bodies"][i])["notices"] if n["severity"] == "warning"}
               for d in ("2025-06-30", "2026-03-02", "2031-01-01")}
    assert notices["2031-01-01"] and notices["2031-01-01"] != notices["2026-03-02"]
    assert any(r["triggered_by"] for b in orebro["bodies"] for r in json.loads(b)["recommendations"])


@pytest.mark.parametrize(("evaluator", "memo"), [("reference", True), ("reference", False), ("durable", True)],
                         ids=["reference", "reference-nothing-remembered", "durable"])
@pytest.mark.parametrize("name", ["orebro-lan", "orebro-lan+kommunuppgifter", "syntetisk"])
def test_every_body_is_byte_identical_to_the_golden_one(golden, packs, name, evaluator, memo, monkeypatch):
    expected = golden[name]
    if not memo:  # every recommendation and reason built afresh, as for a pack too big to remember
        monkeypatch.setattr(decision, "MEMO_SIZE", 0)
    engine = Engine(load_pack(packs[name]), evaluator=evaluator, cache_size=0)
    try:
        sample = cases(name, engine.pack)
        if evaluator == "durable" or not memo:
            sample = sample[::7]  # the evaluators' agreement is tested elsewhere; the builder is shared
        rows = {(k, a, tuple(n), d): i for k, a, n, d, i in expected["cases"]}
        assert len(rows) == len(expected["cases"]) and set(sample) <= set(rows), "the sample changed: regenerate"
        wrong = []
        for case in sample:
            want = expected["bodies"][rows[case]]
            got = body_of(engine, case)
            sent = decision_json(engine.decide(family_of(case))).decode()  # what the service sends
            if got != want or sent != want:
                wrong.append((case, want, got if got != want else sent))
        remembered = engine.pack.__dict__["_answer_parts"].recommendations
        assert (len(remembered) > 0) == memo
        if wrong:
            case, want, got = wrong[0]
            pytest.fail(f"{len(wrong)} of {len(sample)} bodies differ; first {case}:\n{_diff(want, got)}")
    finally:
        engine.close()


def test_the_json_of_an_answer_part_is_forgotten_with_the_part(packs):
    """decision_json remembers each recommendation's JSON only while the recommendation lives:
    answers built afresh (nothing remembered) leave nothing behind."""
    engine = Engine(load_pack(packs["syntetisk"]), evaluator="reference", cache_size=0)
    try:
        sample = [family_of(c) for c in cases("syntetisk", engine.pack)[:300]]
        before = len(answer_json._fragments)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(decision, "MEMO_SIZE", 0)
            bodies = [decision_json(engine.decide(f)) for f in sample]
        assert len(answer_json._fragments) <= before + 2  # the ruleset and maybe a notice
        again = [decision_json(engine.decide(f)) for f in sample]  # remembered parts now
        assert again == bodies and len(answer_json._fragments) > before
    finally:
        engine.close()
