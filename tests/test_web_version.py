"""The staff pages name the served version as people read it (issue 18 item 15): from the
database, the published version number and date; from a directory, the edition and the files'
date. The technical string stays in a title for support, never in the visible text."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil

from fastapi.testclient import TestClient

from engine import load_pack
from service.app import create_app
from service.core.state import EngineState
from service.pages.answer import swedish_date
from service.workspace.source import DatabaseSource

FORM = {"content-type": "application/x-www-form-urlencoded"}


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_from_the_database_version_number_and_publication_date(tmp_path, monkeypatch):
    monkeypatch.delenv("FORALDRASTOD_RULES", raising=False)
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    state = EngineState(source=DatabaseSource(url, cache_dir=tmp_path / "cache"))
    with TestClient(create_app(state=state)) as client:
        page = client.get("/").text
        want = f"version 1, publicerad {swedish_date(dt.date.today())}"
        assert want in visible(page)
        footer = page[page.index('<footer'):]
        assert state.engine.version not in visible(footer)
        assert f'title="{state.engine.pack.name} {state.engine.version}"' in footer
        answer = client.post("/", content="kommun=1884&alder_ar=2", headers=FORM).text
        part = answer[answer.index('class="regelpaket"'):]
        assert want in visible(part[: part.index("</p>")])


def test_from_a_directory_edition_and_the_files_date(tmp_path):
    pack_dir = tmp_path / "p"
    shutil.copytree(load_pack().directory, pack_dir)
    stamp = dt.datetime(2026, 3, 14, 12, 0).timestamp()
    for path in pack_dir.rglob("*"):
        os.utime(path, (stamp, stamp))
    with TestClient(create_app(rules=pack_dir)) as client:
        page = client.get("/").text
        edition = load_pack(pack_dir).meta.edition
        assert f"utgåva {edition}, filerna från 14 mars 2026" in visible(page)
        assert "+" not in visible(page[page.index('<footer'):])
