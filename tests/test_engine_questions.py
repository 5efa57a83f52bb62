"""The follow-up round's questions (rules/orebro-lan/uppfoljning.yaml, engine/questions.py):
pack content, validated with Swedish file:line errors, covered by the pack version, each
citing a passage of the strategy verbatim."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import DEFAULT_PACK, PackInvalid, load_pack
from engine.questions import FILE, AnswerKind
from engine.sources import check_quotes

SEEDS = (Path(__file__).resolve().parents[1].parent / "shared" / "seeds").resolve()


@pytest.fixture
def pack_copy(tmp_path):
    return shutil.copytree(DEFAULT_PACK, tmp_path / "pack")


def _errors(directory) -> list[str]:
    with pytest.raises(PackInvalid) as exc:
        load_pack(directory)
    return [str(e) for e in exc.value.errors]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in ln)


def test_the_pack_asks_the_strategys_follow_up_questions():
    pack = load_pack(DEFAULT_PACK)
    qs = pack.questions
    assert {"samverkansgrupp", "strategisk_funktion", "familjecentraler", "malgrupper_som_nas",
            "na_foraldrar_som_inte_nas", "validerade_indikatorer", "kommunens_arbete"} <= set(qs)
    assert {q.malomrade for q in qs.values()} == {1, 2, 3}
    assert qs["samverkansgrupp"].answer is AnswerKind.ja_nej and qs["familjecentraler"].answer is AnswerKind.antal
    assert qs["kommunens_arbete"].answer is AnswerKind.text and qs["kommunens_arbete"].max_length <= 1000
    for q in qs.values():
        assert q.source.document == "strategi-2024" and q.source.quote
    assert "lednings- eller samverkansgrupper" in qs["samverkansgrupp"].source.quote


def test_every_question_quote_is_verbatim_in_the_strategy(tmp_path):
    assert (SEEDS / "000_79dce8e83c3f4b07.txt").is_file(), SEEDS
    result = check_quotes(DEFAULT_PACK, SEEDS)
    assert result.problems == []
    broken = shutil.copytree(DEFAULT_PACK, tmp_path / "pack")
    _edit(broken / FILE, "minst en per kommun", "minst två per kommun")
    problems = [str(p) for p in check_quotes(broken, SEEDS).problems]
    line = _line_of(broken / FILE, "minst två per kommun")
    assert problems == [f"{FILE}:{line}: citatet står inte ordagrant i källdokumentet 'strategi-2024': "
                        "\"finnas tillgång till familjecentral i familjens närområde, minst två per kommun\""]


def test_the_version_covers_the_questions(pack_copy):
    before = load_pack(pack_copy).version
    _edit(pack_copy / FILE, "Hur många familjecentraler", "Hur många familjecentraler totalt")
    assert load_pack(pack_copy).version != before


def test_bad_questions_give_swedish_file_line_errors(pack_copy):
    path = pack_copy / FILE
    _edit(path, "malomrade: 2\n    answer: antal", "malomrade: 4\n    answer: antal")
    _edit(path, "answer: ja_nej_delvis", "answer: kanske")
    _edit(path, "id: validerade_indikatorer", "id: samverkansgrupp")
    _edit(path, "document: strategi-2024", "document: strategi-2042")
    errors = _errors(pack_copy)
    assert f"{FILE}:{_line_of(path, 'malomrade: 4')}: questions, värde 4.malomrade: får vara högst 3" in errors, errors
    assert any(e.startswith(f"{FILE}:{_line_of(path, 'answer: kanske')}:") and "ja_nej" in e for e in errors), errors
    dup = [ln for ln, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "id: samverkansgrupp" == t.strip("- ")]
    assert f"{FILE}:{dup[-1]}: frågan 'samverkansgrupp' finns redan" in errors, errors
    assert any(e.startswith(f"{FILE}:{_line_of(path, 'strategi-2042')}: okänt källdokument 'strategi-2042'")
               for e in errors), errors


def test_a_question_must_quote_its_passage(pack_copy):
    path = pack_copy / FILE
    text = path.read_text(encoding="utf-8")
    start = text.index('      quote: "finnas en utsedd')
    end = text.index("\n", start) + 1
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    errors = _errors(pack_copy)
    assert any(e.startswith(f"{FILE}:") and "ska citera stället i källan" in e for e in errors), errors


def test_a_pack_without_the_file_asks_nothing(pack_copy):
    (pack_copy / FILE).unlink()
    assert load_pack(pack_copy).questions == {}
