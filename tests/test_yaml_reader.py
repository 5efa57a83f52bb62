"""The loader reads YAML from libyaml's events, without a node tree. It must build exactly what
the safe loader builds, and give the same lines; anything it does not handle goes the old way."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.synthetic import write_synthetic_pack
from engine import loader
from engine.loader import _Loader, _Located, _NotPlain, _plain_load, _read_yaml

ROOT = Path(__file__).resolve().parent.parent


def _composed(text: str):
    node = yaml.compose(text, Loader=_Loader)
    return (_Loader("").construct_document(node) if node is not None else None), _Located(node)


def _same(text: str) -> None:
    want, located = _composed(text)
    got, index = _plain_load(text)
    assert got == want
    assert type(got) is type(want)
    for loc, line in index.items():
        assert located.line_of(loc) == line, loc


def test_every_pack_file_reads_the_same(tmp_path):
    files = [p for p in ROOT.rglob("*.yaml") if ".venv" not in p.parts and "node_modules" not in p.parts]
    files += list(write_synthetic_pack(tmp_path, n_kommuner=20, n_rules=200).rglob("*.yaml"))
    assert len(files) > 20
    for path in files:
        _same(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    "", "a: 1\n", "- &x {a: 1}\n- *x\n", "a: &v 5\nb: *v\n", "k:\n  - a\n  -\n  - {}\n",
    "x: [1, 2.5, true, null, 2024-01-01, 2024-13-01, '3', ~, 0x10, 1_000, .inf, yes, off, '']\n",
    "rules:\n- id: a\n  when: {age_months: {min: 0, max: 12}}\n- id: b\n", "1: a\n2020-01-01: b\n",
    "a: |\n  text\n  more\nb: >\n  folded\n", "'quoted key': \"x\\ty\"\n",
])
def test_plain_documents(text):
    _same(text)


@pytest.mark.parametrize("text", [
    "a: !!str 5\n", "<<: {a: 1}\n", "a: 1\na: 2\n", "--- 1\n--- 2\n", "? [a]\n: 1\n", "&a [*a]\n",
])
def test_what_only_the_full_constructor_handles_goes_the_old_way(text, tmp_path):
    with pytest.raises(_NotPlain):
        _plain_load(text)
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    errors: list = []
    read = _read_yaml(path, "f.yaml", errors)
    try:
        want, _ = _composed(text)
    except yaml.YAMLError:
        assert read is None and errors  # reported with its line, as before
        return
    assert read is not None and not errors
    assert repr(read[0]) == repr(want)  # repr: a recursive list compares by identity, not value


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=12),
                    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
                    st.floats(allow_nan=False, allow_infinity=False))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(data=documents, flow=st.sampled_from([False, True, None]))
def test_random_documents(data, flow):
    text = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, default_flow_style=flow)
    _same(text)


def test_a_valid_pack_keeps_no_node_tree(monkeypatch):
    kept: list[_Located] = []
    real = loader._Located.__init__

    def spy(self, *args, **kwargs):
        real(self, *args, **kwargs)
        kept.append(self)

    monkeypatch.setattr(loader._Located, "__init__", spy)
    pack = loader.load_pack()
    assert pack.locations and kept
    assert all(loc._node is None for loc in kept)  # no file was composed


def test_an_error_deep_in_a_file_still_has_its_line(tmp_path):
    import shutil

    shutil.copytree(loader.DEFAULT_PACK, tmp_path / "p")
    rules = sorted((tmp_path / "p" / "regler").glob("*.yaml"))[0]
    lines = rules.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("recommend:"))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at + 1, f"{indent}  - finns-inte")
    if lines[at].strip() != "recommend:":  # a flow list: put the bad id into it
        lines[at] = lines[at].replace("[", "[finns-inte, ", 1)
        del lines[at + 1]
    rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(loader.PackInvalid) as err:
        loader.load_pack(tmp_path / "p")
    (e,) = [e for e in err.value.errors if "finns-inte" in e.message]
    assert e.line in (at + 1, at + 2)
    assert "finns-inte" in lines[e.line - 1]
