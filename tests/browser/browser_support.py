"""Helpers for the browser tests (a module of its own: `conftest` is not importable by name)."""
from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench.httpbench import free_port

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
ROOT = Path(__file__).resolve().parents[2]


def write_fixture(argv: list[str], usage: str, server_env, capture, fixture: Path) -> int:
    """`python -m tests.browser.<tool> --write`: serve with `server_env()`, capture every page's
    visible text in Chromium with `capture(browser, base)`, and write it to `fixture`."""
    import json

    from playwright.sync_api import sync_playwright

    from tests.chromium import CHROMIUM, CHROMIUM_ARGS

    if "--write" not in argv:
        print(usage)
        return 2
    with serving(server_env()) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            texts = capture(browser, base)
        finally:
            browser.close()
    fixture.write_text(json.dumps(texts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(texts)} sidor till {fixture.relative_to(ROOT)}")
    return 0


def cli() -> list[str]:
    exe = Path(sys.executable).parent / "foraldrastod"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "service.cli"]


@contextlib.contextmanager
def serving(env: dict[str, str], *args: str):
    """`foraldrastod serve` on a free port with `env`, until /healthz answers; stopped afterwards."""
    port = free_port()
    proc = subprocess.Popen([*cli(), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"foraldrastod serve avslutades ({proc.returncode}):\n{out}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("foraldrastod serve startade inte inom 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()




def run_axe(pg) -> list[dict]:
    """axe-core's violations of WCAG 2.0/2.1 level A and AA on the current page."""
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""")
    return result


def page_order(body: dict, level: str) -> list[str]:
    """The names the staff page shows for a level, in its order: what the strategy states first,
    then what rests on the region's own judgement (shown apart, issue 18 item 24)."""
    return [r["name"] for basis in ("källa", "antagande") for r in body["recommendations"]
            if r["level"] == level and r.get("rule_basis", "källa") == basis]
