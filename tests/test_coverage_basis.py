"""The kartläggning tells on what a cell rests (issue 18 items 8 and 17): covered by a source or
the kommun's word apart from covered by assumption; a gap where nothing is recommended apart from
a gap where every insats is missing; programmes used in the län are not coverage; the page's date
is the data's, not today's."""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil

from engine import load_pack
from engine.coverage import CSV_HEADER, NO_NEED, CellStatus, compute_coverage, csv_rows
from engine.models import PresentAs

TODAY = dt.date(2026, 11, 24)


def test_programs_in_the_lan_are_not_coverage():
    pack = load_pack()
    programmes = {i for r in pack.rules if r.present_as is PresentAs.program_i_lanet for i in r.recommend}
    recommended = {i for r in pack.rules if r.present_as is PresentAs.rekommendation for i in r.recommend}
    only_programmes = programmes - recommended
    assert only_programmes, "the pack has programmes used in the län"
    m = compute_coverage(pack, TODAY)
    shown = {i for c in m.cells.values() for i in c.insats_ids}
    assert not shown & only_programmes


def test_covered_cells_say_source_kommun_or_assumption(tmp_path):
    pack_dir = tmp_path / "p"
    shutil.copytree(load_pack().directory, pack_dir)
    m = compute_coverage(load_pack(pack_dir), TODAY)
    before = m.cell("1884", "6-12", "foraldrar_separerade_konflikt")
    assert before.status is CellStatus.tackt and before.basis == "antagande", before
    # a kommun's report that confirms the insats turns the same cell into kommunens uppgift
    (pack_dir / "tillganglighet-kommuner.yaml").write_text(
        "entries:\n  - {kommun: Nora, insats: biff, status: finns, verified: 2026-11-01}\n", encoding="utf-8")
    after = compute_coverage(load_pack(pack_dir), TODAY).cell("1884", "6-12", "foraldrar_separerade_konflikt")
    assert after.status is CellStatus.tackt and after.basis == "kommunens uppgift"
    assert {c.basis for c in m.cells.values() if c.status is CellStatus.tackt} <= {"källa", "kommunens uppgift",
                                                                                     "antagande"}
    assert all(c.basis == "" for c in m.cells.values() if c.status is not CellStatus.tackt)


def test_gap_reason_tells_nothing_recommended_from_all_missing(tmp_path):
    pack_dir = tmp_path / "p"
    shutil.copytree(load_pack().directory, pack_dir)
    (pack_dir / "tillganglighet-kommuner.yaml").write_text(
        "entries:\n  - {kommun: Nora, insats: biff, status: saknas, verified: 2026-11-01}\n", encoding="utf-8")
    m = compute_coverage(load_pack(pack_dir), TODAY)
    missing = m.cell("1884", "6-12", "foraldrar_separerade_konflikt")
    assert missing.status is CellStatus.gap and missing.gap_reason == "alla_saknas"
    nothing = [c for c in m.cells.values() if c.status is CellStatus.gap and not c.insatser]
    assert nothing and all(c.gap_reason == "inget_rekommenderas" for c in nothing)
    assert all(c.gap_reason == "" for c in m.cells.values() if c.status is not CellStatus.gap)


def test_csv_keeps_the_contract_columns_and_adds_basis_and_reason():
    m = compute_coverage(load_pack(), TODAY)
    rows = list(csv_rows(m))
    assert rows[0][:7] == ("kommun", "kommunkod", "aldersband", "behov", "niva", "status", "insatser")
    assert CSV_HEADER[7:] == ("grund", "gap_orsak")
    for row in rows[1:]:
        assert row[5] in {"täckt", "gap", "okänd"}
        assert (row[7] != "") == (row[5] == "täckt")
        assert (row[8] != "") == (row[5] == "gap")


def test_data_dates_come_from_the_availability_data(tmp_path):
    pack = load_pack()
    assert not any(e.verified for e in pack.availability.values())
    assert compute_coverage(pack, TODAY).verified_range is None  # then the page names the version's date
    pack_dir = tmp_path / "p"
    shutil.copytree(pack.directory, pack_dir)
    (pack_dir / "tillganglighet-kommuner.yaml").write_text(
        "entries:\n  - {kommun: Nora, insats: biff, status: finns, verified: 2026-11-01}\n"
        "  - {kommun: Nora, insats: bvc, status: finns, verified: 2025-03-02}\n", encoding="utf-8")
    m = compute_coverage(load_pack(pack_dir), TODAY)
    assert m.verified_range == (dt.date(2025, 3, 2), dt.date(2026, 11, 1))


def test_text_output_says_how_many_covered_cells_rest_on_assumption(capsys):
    from service.cli import main as cli_main

    assert cli_main(["coverage"]) == 0
    out = capsys.readouterr().out
    m = compute_coverage(load_pack())
    assumed = sum(c.basis == "antagande" for c in m.cells.values())
    nothing = sum(c.gap_reason == "inget_rekommenderas" for c in m.cells.values())
    assert f"Täckta bara genom antagande: {assumed}" in out
    assert f"Gap där inget rekommenderas: {nothing}" in out
