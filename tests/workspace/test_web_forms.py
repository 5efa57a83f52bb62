"""The rule form's round trip over every rule of the real pack, the mapping of loader errors to
fields, and which scenarios changed result (service/workspace/forms.py, checks.py)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from engine import DEFAULT_PACK
from service.workspace import checks, forms

RULE_FILES = sorted(p.relative_to(DEFAULT_PACK).as_posix() for p in (DEFAULT_PACK / "regler").glob("*.yaml"))


def as_form(values: dict) -> dict[str, list[str]]:
    return {k: (v if isinstance(v, list) else [v]) for k, v in values.items()}


@pytest.mark.parametrize("rel", RULE_FILES)
def test_every_rule_survives_the_form_unchanged_byte_for_byte(rel):
    text = (DEFAULT_PACK / rel).read_text(encoding="utf-8")
    items = forms.rules_of(text)
    assert [i.data["id"] for i in items] == [r["id"] for r in yaml.safe_load(text)["rules"]]
    for item in items:
        rule = forms.rule_from_form(as_form(forms.form_from_rule(item.data)), original=item.data)
        old_text = "".join(text.splitlines(keepends=True)[item.start:item.end])
        kept = forms.dump_item(rule, old=item.data, old_text=old_text)
        assert forms.replace_item(text, item, kept) == text, item.data["id"]
        # written from scratch (no old lines to keep) it still reads back as the same rule
        fresh = forms.replace_item(text, item, forms.dump_item(rule))
        assert yaml.safe_load(fresh)["rules"][item.index] == item.data, item.data["id"]


def test_ages_are_years_and_months():
    assert forms.split_months(150) == ("12", "6")
    assert forms.join_months("2", "6", "till") == 30
    assert forms.join_months("", "", "från") is None
    with pytest.raises(forms.FormError) as exc:
        forms.join_months("2", "12", "till")
    assert exc.value.field == "alder"
    values = as_form(forms.form_from_rule({"id": "x", "level": "universell", "rationale": "r",
                                           "source": {"document": "d", "section": "s"}}))
    values["alder_fran_ar"] = ["3"]
    with pytest.raises(forms.FormError):  # only one end of the range
        forms.rule_from_form(values)


def test_adding_and_removing_a_rule_keeps_the_rest_of_the_file(tmp_path):
    rel = "regler/02-familjecentral.yaml"
    text = (DEFAULT_PACK / rel).read_text(encoding="utf-8")
    new = {"id": "ny-regel", "level": "selektiv", "when": {"needs_any": ["overvikt_fetma"]},
           "recommend": ["familjecentral"], "rationale": "En ny regel.",
           "source": {"document": "presentation-2022", "section": "Nästa steg"}, "valid_from": dt.date(2025, 1, 1)}
    added = forms.replace_item(text, None, forms.dump_item(new))
    assert added.startswith(text)
    assert yaml.safe_load(added)["rules"][-1] == new
    items = forms.rules_of(added)
    assert forms.remove_item(added, items[-1]) == text


def test_loader_errors_land_on_the_field_of_their_line(tmp_path):
    rule = {"id": "abc", "level": "universell", "when": {"age_months": {"min": 0, "max": 20}, "needs_any": ["okand"]},
            "recommend": ["finns-inte"], "rationale": "r", "source": {"document": "d", "section": "s"}}
    item_text = forms.dump_item(rule)
    start = 10  # the item's first line in the file (0-based)
    lines = item_text.splitlines()
    line_of = {key: start + 1 + next(i for i, ln in enumerate(lines) if f"{key}:" in ln)
               for key in ("recommend", "when", "source")}
    errors = [f"regler/x.yaml:{line_of['recommend']}: okänd insats 'finns-inte'",
              f"regler/x.yaml:{line_of['when']}: okänd behovskod 'okand'",
              f"regler/x.yaml:{line_of['source']}: okänt källdokument 'd'",
              "behov.yaml:3: något annat"]
    mapped = forms.map_errors(errors, "regler/x.yaml", start, item_text)
    assert mapped.by_field == {"recommend": ["okänd insats 'finns-inte'"], "alder": ["okänd behovskod 'okand'"],
                               "source": ["okänt källdokument 'd'"]}
    assert mapped.other == ["behov.yaml:3: något annat"]


def test_scenario_changes_name_what_changed():
    S = checks.Scenario
    before = [S("F", "a.feature", "ett", "passed"), S("F", "a.feature", "två", "passed"),
              S("F", "a.feature", "tre", "failed"), S("F", "a.feature", "borta", "passed")]
    after = [S("F", "a.feature", "ett", "passed"), S("F", "a.feature", "två", "failed", "fel"),
             S("F", "a.feature", "tre", "passed"), S("F", "b.feature", "ny", "failed")]
    changes = {(c.file, c.scenario): c.text for c in checks.scenario_changes(before, after)}
    assert changes == {("a.feature", "två"): "godkänt före, underkänt nu",
                       ("a.feature", "tre"): "underkänt före, godkänt nu",
                       ("a.feature", "borta"): "scenariot finns inte längre",
                       ("b.feature", "ny"): "nytt scenario, underkänt"}


def test_validation_reports_like_check(tmp_path):
    pack = tmp_path / "p"
    for p in DEFAULT_PACK.rglob("*.yaml"):
        (pack / p.relative_to(DEFAULT_PACK)).parent.mkdir(parents=True, exist_ok=True)
        (pack / p.relative_to(DEFAULT_PACK)).write_bytes(p.read_bytes())
    ok, errors = checks.validate(pack)
    assert ok is not None and errors == []
    rel = Path("regler/03-universella-program.yaml")
    (pack / rel).write_text((pack / rel).read_text(encoding="utf-8").replace("recommend: [abc]", "recommend: [abd]"),
                            encoding="utf-8")
    pack_obj, errors = checks.validate(pack)
    assert pack_obj is None and len(errors) == 1
    assert errors[0].startswith("regler/03-universella-program.yaml:") and "okänd insats 'abd'" in errors[0]


def test_jobs_run_once_and_share_their_result(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("FORALDRASTOD_JOBS_DIR", str(tmp_path))
    gate, calls = threading.Event(), []

    def work(progress):
        calls.append(1)
        progress(0.5, "halvvägs")
        gate.wait(10)
        return {"svar": 42}

    first = checks.start_job("prov", "k1", work)
    assert first.state == "running"
    assert checks.start_job("prov", "k1", work).state == "running"  # not started twice
    gate.set()
    for _ in range(200):
        if checks.job_state("prov", "k1").finished:
            break
        threading.Event().wait(0.02)
    assert checks.job_state("prov", "k1").state == "done" and calls == [1]
    assert checks.job_result("prov", "k1") == {"svar": 42}
    assert checks.start_job("prov", "k1", work).state == "done" and calls == [1]


@pytest.mark.parametrize("rel", sorted(forms.ITEM_FILES))
def test_every_insats_and_need_survives_the_form_unchanged_byte_for_byte(rel):
    text = (DEFAULT_PACK / rel).read_text(encoding="utf-8")
    key, specs, _ = forms.ITEM_FILES[rel]
    items = forms.items_of(text, rel)
    assert len(items) == len(yaml.safe_load(text)[key]) > 5
    for item in items:
        data = forms.item_from_form(specs, as_form(forms.form_from_item(specs, item.data)), item.data)
        assert data == item.data, item.data
        old_text = "".join(text.splitlines(keepends=True)[item.start:item.end])
        assert forms.replace_item(text, item, forms.dump_item(data, old=item.data, old_text=old_text), key) == text
