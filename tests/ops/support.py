"""Helpers for the operations tests (issue 21): `foraldrastod serve` on a database, a PostgreSQL
server that can be restarted under load, a bounded load generator, and a logged-in /redaktion
client over real HTTP."""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.http_support import BIN, ROOT, Server, bump_edition, free_port
from tests.workspace.pg import PostgresServer

PASSWORD = "ett-langt-losenord-for-drift"
DAY = "2026-06-01"  # every decision asks for one day: bodies are comparable across servers
FAMILIES = [
    {"kommun": "Örebro", "age_months": 8, "needs": []},
    {"kommun": "Nora", "age_months": 30, "needs": ["overvikt_fetma"]},
    {"kommun": "Karlskoga", "age_months": 100, "needs": ["foraldrar_separerade_konflikt"]},
    {"kommun": "1880", "expecting": True, "needs": ["nyanlanda_foraldrar"]},
    {"kommun": "Lindesberg", "age_months": 170, "needs": ["normbrytande_beteende", "barn_som_anhorig"]},
    {"kommun": "Kumla", "age_months": 50, "needs": ["konflikter_i_familjen", "relationsproblem_foraldrar"]},
    {"kommun": "Hallsberg", "age_months": 3, "needs": ["vald_eller_omsorgssvikt"]},
    {"kommun": "Laxå", "age_months": 140, "needs": ["psykisk_ohalsa_barn", "stort_stodbehov_foralder"]},
]


class RestartablePostgres(PostgresServer):
    """tests/workspace/pg.py's server, with a stop and a start that keep the data directory."""

    def _opts(self) -> str:
        return (f"-c port={self.port} -c listen_addresses='' -c unix_socket_directories={self.socket_dir} "
                f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60")

    def halt(self) -> None:
        self._run([self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"], timeout=60)

    def resume(self) -> None:
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.tmp / "log"), "-o", self._opts(), "-w",
                   "-t", "60", "start"])

    def psql_env(self) -> dict[str, str]:
        return {**os.environ, "PGHOST": str(self.socket_dir), "PGPORT": str(self.port), "PGUSER": self.user}


class DbServer(Server):
    """`foraldrastod serve --workers 1` on DATABASE_URL (no FORALDRASTOD_RULES: the database mode)."""

    def __init__(self, url: str, workers: int = 1, extra_env: dict[str, str] | None = None, wait: bool = True):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.TemporaryDirectory(prefix="foraldrastod-ops-")
        env = {k: v for k, v in os.environ.items() if k not in ("FORALDRASTOD_RULES", "FORALDRASTOD_PACK_SOURCE")}
        env.update({"DATABASE_URL": url, "FORALDRASTOD_PACK_CACHE": f"{self.tmp.name}/cache",
                    "FORALDRASTOD_JOBS_DIR": f"{self.tmp.name}/jobs", "TMPDIR": self.tmp.name, **(extra_env or {})})
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([str(BIN), "serve", "--port", str(self.port), "--workers", str(workers)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=self.log, cwd=ROOT,
                                     start_new_session=True)
        if wait:
            self.wait_ready(timeout=90)

    def stop(self) -> str:
        out = super().stop() if self.proc.poll() is None else ""
        self.tmp.cleanup()
        return out


def start_servers(url: str, count: int) -> list[DbServer]:
    """`count` servers on one database, started side by side (then each waited for)."""
    servers = [DbServer(url, wait=False) for _ in range(count)]
    try:
        for server in servers:
            server.wait_ready(timeout=90)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def cli(url: str, *args: str, password: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FORALDRASTOD_RULES", "FORALDRASTOD_PACK_SOURCE")}
    env["DATABASE_URL"] = url
    if password:
        env["FORALDRASTOD_PASSWORD"] = password
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def request_body(i: int) -> dict:
    return {**FAMILIES[i % len(FAMILIES)], "date": DAY}


@dataclass
class Sample:
    target: str
    started: float  # monotonic
    latency: float  # seconds
    status: int | None  # None: no answer (connection refused or reset)
    version: str | None = None
    family: int = 0
    body: dict | None = None


@dataclass
class Load:
    """Bounded load: `threads` per target, each its own keep-alive client, for `seconds`."""

    targets: dict[str, str]
    seconds: float
    threads: int = 2
    keep_bodies: bool = True
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _worker(self, name: str, base: str, seed: int) -> None:
        local: list[Sample] = []
        i = seed
        deadline = time.monotonic() + self.seconds
        client = httpx.Client(base_url=base, timeout=5)
        try:
            while time.monotonic() < deadline and not self._stop.is_set():
                i += 1
                started = time.monotonic()
                try:
                    r = client.post("/v1/recommendations", json=request_body(i))
                except httpx.HTTPError:
                    local.append(Sample(name, started, time.monotonic() - started, None, family=i % len(FAMILIES)))
                    client.close()
                    client = httpx.Client(base_url=base, timeout=5)
                    time.sleep(0.01)
                    continue
                body = r.json() if r.headers.get("content-type", "").startswith("application/json") else None
                version = body.get("ruleset", {}).get("version") if isinstance(body, dict) else None
                local.append(Sample(name, started, time.monotonic() - started, r.status_code, version,
                                    i % len(FAMILIES), body if self.keep_bodies else None))
        finally:
            client.close()
            self.samples.extend(local)  # list.extend is atomic under the GIL

    def start(self) -> "Load":
        self.t0 = time.monotonic()
        self._threads = [threading.Thread(target=self._worker, args=(name, base, n * 7919 + k), daemon=True)
                         for n, (name, base) in enumerate(self.targets.items()) for k in range(self.threads)]
        for t in self._threads:
            t.start()
        return self

    def join(self) -> "Load":
        for t in self._threads:
            t.join(self.seconds + 30)
        return self

    def of(self, target: str) -> list[Sample]:
        return [s for s in self.samples if s.target == target]


def figures(samples: list[Sample]) -> dict:
    ok = [s for s in samples if s.status == 200]
    lat = sorted(s.latency * 1000 for s in ok)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else float("nan")

    return {"requests": len(samples), "ok": len(ok), "errors": len(samples) - len(ok),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": round(lat[-1], 1) if lat else float("nan"),
            "mean_ms": round(statistics.fmean(lat), 1) if lat else float("nan")}


def reference_bodies(base: str) -> list[dict]:
    """Each family's answer from a server at rest: what every answer under load must equal."""
    with httpx.Client(base_url=base, timeout=10) as c:
        return [c.post("/v1/recommendations", json=request_body(i)).json() for i in range(len(FAMILIES))]


class Redaktion:
    """A browser-like client for /redaktion: the login form with its CSRF cookie, then forms."""

    def __init__(self, base: str, name: str, password: str = PASSWORD):
        self.client = httpx.Client(base_url=base, timeout=10, follow_redirects=False)
        page = self.client.get("/redaktion/logga-in")
        r = self.client.post("/redaktion/logga-in", data={"namn": name, "losenord": password,
                                                           "csrf": csrf_of(page.text), "nasta": "/redaktion"})
        assert r.status_code == 303, (r.status_code, r.text[:500])

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post_form(self, page_path: str, action: str, data: dict) -> httpx.Response:
        page = self.client.get(page_path)
        assert page.status_code == 200, (page.status_code, page.text[:300])
        return self.client.post(action, data={"csrf": csrf_of(page.text), **data})

    def close(self) -> None:
        self.client.close()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


BVC_V1 = "name: Barnavårdscentral (BVC)\n"
BVC_V2 = "name: Barnavårdscentral (BVC) – utgåva för driftproven\n"


def populate(url: str) -> tuple[str, str]:
    """Version 1 (the embedded pack, current), version 2 (another edition with a visible change:
    BVC's name), three accounts, an open draft, and the audit trail of all that. Returns the
    version strings of 1 and 2."""
    from service.workspace import db, store

    db.upgrade(url)
    with db.session_scope(url) as s:
        store.ensure_seeded(s)
        for name, role in (("rut", "redaktor"), ("greta", "granskare"), ("ada", "admin")):
            store.add_user(s, name, role, PASSWORD, actor="kommandoraden")
    with tempfile.TemporaryDirectory() as tmp, db.session_scope(url) as s:
        target = Path(tmp) / "v2"
        store.export(s, 1, target)
        bump_edition(target, "2026.drift")
        insatser = target / "insatser.yaml"  # a visible change: a mixed answer would show it
        text = insatser.read_text(encoding="utf-8")
        assert BVC_V1 in text
        insatser.write_text(text.replace(BVC_V1, BVC_V2), encoding="utf-8")
        rut, greta = store.active_user(s, "rut"), store.active_user(s, "greta")
        draft = store.import_draft(s, target, rut, "Ny utgåva för driftproven")
        v2 = store.approve(s, draft.id, greta, features=False)
        v1 = store.publish(s, 1, greta, "Tillbaka till version 1 inför proven")
        store.create_draft(s, rut, "Ett öppet utkast som säkerhetskopian ska ha med")
        return v1.version, v2.version
