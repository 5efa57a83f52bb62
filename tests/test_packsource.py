"""service/core/packsource.py: the PackSource interface, DirectorySource with a run directory
(validated copies, one generation token, acknowledgements)."""
from __future__ import annotations

import os

import pytest

from service.core.packsource import DirectorySource, PackSource, ReloadFailed, live_workers
from service.core.state import EngineState
from tests.http_support import MINI, bump_edition, copy_pack


def test_directory_source_is_a_pack_source(tmp_path):
    assert isinstance(DirectorySource(MINI), PackSource)
    assert isinstance(DirectorySource(MINI, tmp_path / "run"), PackSource)


def test_publish_copies_validates_and_names_a_new_generation(tmp_path):
    pack = copy_pack(MINI, tmp_path / "pack")
    source = DirectorySource(pack, tmp_path / "run")
    assert source.current() == "g0"
    first = source.publish()
    assert first == "g1" and source.current() == "g1"
    copy = source.materialize(first)
    assert copy != pack and (copy / "pack.yaml").read_bytes() == (pack / "pack.yaml").read_bytes()
    # later edits to the directory do not change what generation 1 serves
    bump_edition(pack, "2099.2")
    assert b"2099.2" not in (copy / "pack.yaml").read_bytes()
    assert source.publish() == "g2"


def test_a_broken_pack_is_never_published(tmp_path):
    pack = copy_pack(MINI, tmp_path / "pack")
    source = DirectorySource(pack, tmp_path / "run")
    source.publish()
    (pack / "behov.yaml").write_text("needs: [\n", encoding="utf-8")
    with pytest.raises(ReloadFailed) as info:
        source.publish()
    assert all(":" in e for e in info.value.errors)
    assert source.current() == "g1"
    assert sorted(p.name for p in (tmp_path / "run" / "packs").iterdir()) == ["g1"]


def test_old_generations_are_pruned(tmp_path):
    source = DirectorySource(copy_pack(MINI, tmp_path / "pack"), tmp_path / "run")
    for _ in range(6):
        source.publish()
    assert sorted(p.name for p in (tmp_path / "run" / "packs").iterdir()) == ["g4", "g5", "g6"]


def test_state_follows_the_source_and_acknowledges(tmp_path):
    pack = copy_pack(MINI, tmp_path / "pack")
    source = DirectorySource(pack, tmp_path / "run")
    source.publish()
    state = EngineState(source=source)
    assert live_workers(tmp_path / "run") == {os.getpid(): "g1"}
    assert state.poll() is False  # nothing new
    bump_edition(pack, "2099.3")
    source.publish()
    assert state.poll() is True
    assert state.engine.version.startswith("2099.3+")
    assert state.switched("g2") == (1, 1)
    state.close()


def test_a_worker_that_has_not_loaded_yet_counts_as_not_switched(tmp_path, monkeypatch):
    from service.core.packsource import RUN_DIR_ENV, set_configured_workers

    pack = copy_pack(MINI, tmp_path / "pack")
    run = tmp_path / "run"
    source = DirectorySource(pack, run)
    token = source.publish()
    monkeypatch.setenv(RUN_DIR_ENV, str(run))
    state = EngineState(source=source)
    set_configured_workers(run, 2)  # `serve --workers 2`: the second has not acknowledged anything
    assert state.switched(token) == (1, 2)
    set_configured_workers(run, 1)
    assert state.switched(token) == (1, 1)
    state.close()
