"""Measure what one `foraldrastod serve --workers 1` holds in memory, for the Deployment's
requests and limits (deploy/kubernetes/deployment.yaml, docs/drift-kubernetes.md).

    .venv/bin/python deploy/measure_rss.py [--seconds 20]

Starts a PostgreSQL server of its own (tests/workspace/pg.py), serves the Örebro pack from it
(the production setup: DATABASE_URL, one process), reads /proc/PID/status after start, then
after a load of varied decisions (wrk when installed, else httpx) and one pass over every page
(/, /kartlaggning and its PNG, /strategi, /docs, the catalogues, HSDS, /metrics, /redaktion),
and prints VmRSS (now) and VmHWM (the peak) in MiB.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LUA = """
local kommuner = {"Askersund","Degerfors","Hallsberg","Hällefors","Karlskoga","Kumla","Laxå",
                  "Lekeberg","Lindesberg","Ljusnarsberg","Nora","Örebro"}
local needs = {"foraldrar_separerade_konflikt","barn_som_anhorig","overvikt_fetma",
  "relationsproblem_foraldrar","konflikter_i_familjen","nyanlanda_foraldrar",
  "foralder_kognitiva_svarigheter","normbrytande_beteende","psykisk_ohalsa_barn",
  "stort_stodbehov_foralder","beviljat_bistand","vald_eller_omsorgssvikt"}
local headers = {["Content-Type"] = "application/json"}
setup = function(thread) thread:set("seed", math.random(1, 1000000)) end
init = function(args) math.randomseed(seed or os.time()) end
request = function()
  local picked, used = {}, {}
  for _ = 1, math.random(0, 3) do
    local n = needs[math.random(#needs)]
    if not used[n] then used[n] = true; picked[#picked + 1] = '"' .. n .. '"' end
  end
  local body = '{"kommun":"' .. kommuner[math.random(#kommuner)] .. '","age_months":' ..
               math.random(0, 216) .. ',"needs":[' .. table.concat(picked, ",") .. ']}'
  return wrk.format("POST", "/v1/recommendations", headers, body)
end
"""
PAGES = ["/", "/kartlaggning", "/kartlaggning.png", "/kartlaggning.csv", "/strategi", "/docs", "/openapi.json",
         "/v1/needs", "/v1/insatser", "/v1/kommuner", "/v1/rules", "/hsds/services", "/hsds/organizations",
         "/metrics", "/readyz", "/redaktion/logga-in"]


def status_mib(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def tree_rss_mib(pid: int) -> float:
    """RSS of the server and every process it started (a pod's memory counts them all)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return round(total / 1024, 1)


def redaktion_jobs(base: str, url: str, pid: int) -> float:
    """Log in, run the check (validation + every feature) and the impact of a draft; the peak
    RSS of the process tree meanwhile."""
    import threading

    from service.workspace import db, store
    from tests.ops.support import PASSWORD, Redaktion

    with db.session_scope(url) as s:
        store.add_user(s, "matning", "redaktor", PASSWORD, actor="kommandoraden")
        draft = store.create_draft(s, store.active_user(s, "matning"), "Mätning av minnet")
        draft_id = draft.id
    peak, stop = [0.0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss_mib(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    client = Redaktion(base, "matning")
    try:
        for job in ("kontrollera", "effekt"):
            client.post_form(f"/redaktion/utkast/{draft_id}/{job}" if job == "kontrollera" else
                             f"/redaktion/utkast/{draft_id}", f"/redaktion/utkast/{draft_id}/{job}", {})
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                st = client.get(f"/redaktion/utkast/{draft_id}/{job}/status").json()
                if st["state"] in ("done", "failed"):
                    print(f"  {job}: {st['state']} {st.get('error') or ''}")
                    break
                time.sleep(0.2)
    finally:
        client.close()
        stop.set()
        sampler.join()
    return peak[0]


def main() -> int:
    import httpx

    from bench.httpbench import free_port
    from tests.workspace.pg import PostgresServer

    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    pg = PostgresServer().start()
    tmp = Path(tempfile.mkdtemp(prefix="foraldrastod-rss-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FORALDRASTOD_RULES"}
    env.update(DATABASE_URL=pg.create_database("rss"), TMPDIR=str(tmp), FORALDRASTOD_PACK_CACHE=str(tmp / "cache"))
    proc = subprocess.Popen([str(Path(sys.executable).parent / "foraldrastod"), "serve", "--port", str(port),
                             "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        print(f"efter start:            {status_mib(proc.pid)}")
        wrk = shutil.which("wrk")
        if wrk:
            script = tmp / "post.lua"
            script.write_text(LUA, encoding="utf-8")
            run = subprocess.run([wrk, "-t2", "-c16", f"-d{args.seconds}s", "-s", str(script), base],
                                 capture_output=True, text=True)
            rps = [line for line in run.stdout.splitlines() if "Requests/sec" in line]
            print(f"wrk {args.seconds} s, 16 anslutningar: {rps[0].strip() if rps else run.stdout[-300:]}")
        else:
            deadline = time.monotonic() + args.seconds
            with httpx.Client(base_url=base) as c:
                n = 0
                while time.monotonic() < deadline:
                    c.post("/v1/recommendations", json={"kommun": "Nora", "age_months": n % 217, "needs": []})
                    n += 1
        print(f"efter beslut under last: {status_mib(proc.pid)}")
        with httpx.Client(base_url=base, timeout=60) as c:
            for page in PAGES:
                c.get(page)
        print(f"efter alla sidor:        {status_mib(proc.pid)}")
        peak = redaktion_jobs(base, env["DATABASE_URL"], proc.pid)
        print(f"kontroll och effekt i /redaktion: högst {peak} MiB för processträdet; "
              f"servern sedan {status_mib(proc.pid)}")
    finally:
        proc.terminate()
        proc.wait(20)
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
