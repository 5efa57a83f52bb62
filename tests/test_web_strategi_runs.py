"""/strategi shows the served version's result, running the behaviour tests in the background
when there is none for it (issue 18 item 16): the request never waits for the run, the page says
a run is going, and then shows the result for that version."""
from __future__ import annotations

import time

from fastapi.testclient import TestClient

from service.app import create_app
from service.pages import strategi_runs


def test_missing_result_is_run_in_the_background_then_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_FEATURE_RESULTS", str(tmp_path / "finns-inte.json"))
    monkeypatch.setenv("FORALDRASTOD_STRATEGI_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("FORALDRASTOD_STRATEGI_KOR", raising=False)
    with TestClient(create_app()) as client:
        version = client.app.state.engine_state.engine.version
        started = time.perf_counter()
        first = client.get("/strategi")
        assert time.perf_counter() - started < 3.0  # the request does not wait for the run
        assert first.status_code == 200 and 'id="korning"' in first.text
        assert "körs nu mot den version som serveras" in first.text
        assert '<script src="/static/strategi.js" defer></script>' in first.text
        assert strategi_runs.wait_for(version, 240)
        done = client.get("/strategi").text
        assert 'id="korning"' not in done
        assert "mot den version som serveras" in done
        summary = done[done.index('class="sammanfattning"'):]
        summary = summary[: summary.index("</p>")]
        total = int(summary.split(">")[1].split()[0])
        assert total > 100 and f"godkända: {total}, underkända: 0, inte körda: 0" in summary, summary
        # once per version: a second page view starts nothing
        assert list((tmp_path / "cache").glob("*.korning")) == []
        assert len(list((tmp_path / "cache").glob("*.json"))) == 1


def test_runs_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_FEATURE_RESULTS", str(tmp_path / "finns-inte.json"))
    monkeypatch.setenv("FORALDRASTOD_STRATEGI_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FORALDRASTOD_STRATEGI_KOR", "0")
    with TestClient(create_app()) as client:
        text = client.get("/strategi").text
        assert 'id="korning"' not in text and "ingen resultatfil" in text
    assert list((tmp_path / "cache").glob("*")) == []
