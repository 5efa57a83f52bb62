"""The README and docs/ are for users: every link points at a file in the repository (or a page
the service itself serves); nothing outside it (issue 12, item 7)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_stay_inside_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        assert "shared/" not in target and "CONTRACT" not in target, f"{doc.name}: länk utanför: {target}"
        if target.startswith(("http://127.0.0.1", "#")):
            continue
        assert not target.startswith(("http://", "https://")), f"{doc.name}: länk utanför: {target}"
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"{doc.name}: {target} finns inte"


def test_readme_starts_with_users():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^##+ (.*)$", text, flags=re.M)
    assert headings[:2] == ["Kom igång", "Tre sätt att använda tjänsten"]
    assert "make run" in text and "make test" in text
    assert "durable_rules" not in text.split("## Mer att läsa")[0]
    assert "Föräldraskapsstödsprogrammsresan" not in text


def test_no_double_m_typo_anywhere_a_user_reads():
    """The 2022 slide title is spelt "…programmsresan" in the source; we write it correctly."""
    readable = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "rules").rglob("*.yaml"),
                *(ROOT / "service").glob("**/templates/*.html")]
    assert not [p.name for p in readable if "programmsresan" in p.read_text(encoding="utf-8")]
