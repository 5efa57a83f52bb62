"""A cell of 3 cannot be recovered from anything the JSON, the CSV or the CLI text gives.

The scenario: 13 assessments of 8-month-olds in Nora, BVC offered in 10. Every family of the band
gets the same universal insatser, so the totals of their groups are equal and one of them
(familjecentral, offered to all 13) is visible: 13 − 10 would give the 3. The attacker below
knows that, and the unmet-need indicator, and tries every value each protected cell could take;
the same attacker on a table with only the primary suppression does find the 3."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict

from tests.http_support import BIN, ROOT

from .support import client, flush

K = 5


def feasible(body: dict, target: tuple) -> set[int]:
    """Every value the `target` cell (kommunkod, aldersband, behov, niva, insats_id, utfall) can have
    given the published cells and indicators, and the knowledge that all universal groups without a
    need in one kommun and band count the same families (equal totals)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for c in body["celler"]:
        groups[(c["kommunkod"], c["aldersband"], c["behov"], c["niva"], c["insats_id"])].append(c)
    kommun, band = target[0], target[1]
    linked = [g for key, g in groups.items() if key[:2] == (kommun, band) and key[2] is None and key[3] == "universell"]
    unmet = {i["kommunkod"]: i["varde"] for i in body["indikatorer"] if i["id"] == "ej_tillgodosett_behov_per_100"}
    saknas = [c for c in body["celler"] if c["kommunkod"] == kommun and c["utfall"] == "saknas"]
    values: set[int] = set()
    for total in range(1, 200):  # the common total T of the linked groups
        ok = True
        target_range = None
        for g in linked:
            visible = sum(c["antal"] for c in g if c["antal"] is not None)
            hidden = [c for c in g if c["antal"] is None]
            rest = total - visible
            if (not hidden and rest != 0) or (hidden and rest < len(hidden)):
                ok = False
                break
            for c in hidden:
                if (c["kommunkod"], c["aldersband"], c["behov"], c["niva"], c["insats_id"], c["utfall"]) == target:
                    # alone: exactly the rest; with others: anything that leaves each of them at least 1
                    target_range = [rest] if len(hidden) == 1 else range(1, rest - (len(hidden) - 1) + 1)
        if not ok:
            continue
        v = unmet.get(kommun)
        if v is not None and all(c["antal"] is not None for c in saknas):
            if round(100.0 * sum(c["antal"] for c in saknas) / total, 1) != v:
                continue
        if target_range is not None:
            values.update(target_range)
    return values


def _cli(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("FORALDRASTOD_RULES", None)
    proc = subprocess.run([str(BIN), "uppfoljning", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cell_of_three_cannot_be_recovered(migrated, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_UPPFOLJNING_K", str(K))
    c = client()
    for i in range(13):
        offered = ["bvc", "familjecentral"] if i < 10 else ["familjecentral"]
        assert c.post("/v1/uppfoljning", json={"kommun": "Nora", "age_months": 8, "erbjudna": offered}).status_code == 201
    flush(c)
    body = c.get("/v1/uppfoljning").json()
    target = ("1884", "0 år", None, "universell", "bvc", "ej_erbjuden")
    cells = {(x["kommunkod"], x["aldersband"], x["behov"], x["niva"], x["insats_id"], x["utfall"]): x
             for x in body["celler"]}
    assert cells[target]["antal"] is None and cells[target]["skyddad"] is True
    assert cells[("1884", "0 år", None, "universell", "familjecentral", "erbjuden")]["antal"] == 13
    # the attacker works: with only the primary suppression, the 3 is found
    naive = json.loads(json.dumps(body))
    for x in naive["celler"]:
        if x["insats_id"] == "bvc" and x["utfall"] == "erbjuden":
            x["antal"], x["skyddad"] = 10, False
    assert feasible(naive, target) == {3}
    # the published body: more than one value fits
    assert len(feasible(body, target)) > 1, feasible(body, target)

    # the CLI's JSON is the HTTP body; the CSV and the text carry the same figures and no others
    cli_json = json.loads(_cli(migrated, "--format", "json"))
    assert cli_json["celler"] == body["celler"]
    assert [i for i in cli_json["indikatorer"]] == body["indikatorer"]
    lines = _cli(migrated, "--format", "csv").splitlines()
    assert lines[0] == "period,kommun,kommunkod,aldersband,behov,niva,insats_id,utfall,antal"
    csv_cells = [line.split(",") for line in lines[1:]]
    assert [(r[2], r[3], r[4] or None, r[5], r[6], r[7], int(r[8]) if r[8] else None) for r in csv_cells] == \
        [(x["kommunkod"], x["aldersband"], x["behov"], x["niva"], x["insats_id"], x["utfall"], x["antal"])
         for x in body["celler"]]
    text = _cli(migrated, "--format", "text")
    published_numbers = set(re.findall(r"\d+", json.dumps(body, ensure_ascii=False)))
    assert set(re.findall(r"\d+", text)) <= published_numbers
    assert "| bvc | inte erbjuden | skyddad" in text and "| bvc | erbjuden | skyddad" in text


def test_secondary_suppression_rules():
    from service.uppfoljning.disclosure import protect

    g = ("1884", "0", "", "universell", "bvc")
    cells = {(*g, "erbjuden"): 10, (*g, "ej_erbjuden"): 3, (*g, "saknas"): 7,
             ("1884", "0", "", "universell", "mvc", "erbjuden"): 20}
    out = dict(protect(cells, {("1884", "0"): 20}, 5).cells)
    assert out[(*g, "ej_erbjuden")] is None and out[(*g, "saknas")] is None  # the smallest other one
    assert out[(*g, "erbjuden")] == 10 and out[("1884", "0", "", "universell", "mvc", "erbjuden")] == 20
    # the unmet-need ratio is withheld while a saknas cell is protected, or a band is small
    published = protect(cells, {("1884", "0"): 20}, 5)
    assert published.unmet_per_100["1884"] is None
    visible = {(*g, "erbjuden"): 10, (*g, "saknas"): 10}
    assert protect(visible, {("1884", "0"): 20}, 5).unmet_per_100["1884"] == 50.0
    assert protect(visible, {("1884", "0"): 20, ("1884", "13-18"): 2}, 5).unmet_per_100["1884"] is None
    assert protect(visible, {("1884", "0"): 4}, 5).unmet_per_100["1884"] is None
