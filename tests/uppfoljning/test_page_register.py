"""*Registrera i uppföljningen* under the answer on `/` (issue 20 item 1): the form lists the
recommended insatser, posts to a page route that counts through the same code as
POST /v1/uppfoljning, once per random token (double click, reload), in Swedish, without
JavaScript; a Swedish message when the database is down."""
from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from service.app import create_app
from tests.uppfoljning.support import flush, totals

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _answer(client) -> str:
    r = client.post("/", content="kommun=1884&alder_ar=8&needs=overvikt_fetma", headers=FORM)
    assert r.status_code == 200
    return r.text


def _form_fields(page: str) -> list[tuple[str, str]]:
    form = page[page.index('action="/uppfoljning/registrera"'):]
    form = form[: form.index("</form>")]
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    boxes = re.findall(r'<input type="checkbox" id="[^"]+" name="erbjudna" value="([^"]+)">', form)
    return hidden, boxes


def test_the_form_registers_once_per_token(migrated):
    with TestClient(create_app()) as client:
        client.app.state.uppf_database_url = migrated
        page = _answer(client)
        hidden, boxes = _form_fields(page)
        assert dict(hidden)["kommun"] == "1884" and dict(hidden)["age_months"] == "96"
        assert len(dict(hidden)["registrering"]) >= 16 and "overvikt-fetma" in boxes
        body = urlencode(hidden + [("erbjudna", "overvikt-fetma")])
        first = client.post("/uppfoljning/registrera", content=body, headers=FORM)
        assert first.status_code == 200
        assert re.search(r"Registrerat i uppföljningen för \d{4}\. Inget om familjen sparas\.", first.text)
        again = client.post("/uppfoljning/registrera", content=body, headers=FORM)  # reload / double click
        assert again.status_code == 200 and "Registrerat i uppföljningen" in again.text
        flush(client)
        t = totals(migrated)
        assert sum(row.antal for row in t["assessments"]) == 1
        offered = [row for row in t["cells"] if row.insats_id == "overvikt-fetma"]
        assert [(row.utfall, row.antal) for row in offered] == [("erbjuden", 1)]
        # a new answer has a new token: a second family counts
        hidden2, _ = _form_fields(_answer(client))
        assert dict(hidden2)["registrering"] != dict(hidden)["registrering"]
        client.post("/uppfoljning/registrera", content=urlencode(hidden2), headers=FORM)
        flush(client)
        assert sum(row.antal for row in totals(migrated)["assessments"]) == 2


def test_database_down_is_said_in_swedish(tmp_path):
    with TestClient(create_app()) as client:
        client.app.state.uppf_database_url = "postgresql+psycopg://ingen@127.0.0.1:1/finns_inte"
        hidden, _ = _form_fields(_answer(client))
        r = client.post("/uppfoljning/registrera", content=urlencode(hidden), headers=FORM)
        assert r.status_code == 503
        assert "uppföljningens databas svarar inte just nu" in r.text and "<html" in r.text
