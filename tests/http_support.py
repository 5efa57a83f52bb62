"""Helpers for the HTTP tests: an app on a pack, a free port, a real `foraldrastod serve`."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.httpbench import free_port
from engine.loader import DEFAULT_PACK

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "packs" / "mini"
BIN = Path(sys.executable).parent / "foraldrastod"

# Every shape the service must refuse: personnummer and samordningsnummer (day + 60),
# with and without century and separator, as text and as JSON numbers.
PERSONNUMMER_SHAPES = [
    "811218-9876",
    "8112189876",
    "19811218-9876",
    "198112189876",
    "811218+9876",
    "811278-9876",      # samordningsnummer
    "19811278-9876",
    "8112789876",
    "pnr 20120315-1234 i fritext",
    8112189876,
    198112189876,
]


def copy_pack(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def bump_edition(pack_dir: Path, edition: str) -> None:
    meta = pack_dir / "pack.yaml"
    lines = [f'edition: "{edition}"' if line.startswith("edition:") else line
             for line in meta.read_text(encoding="utf-8").splitlines()]
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Server:
    """`foraldrastod serve` in a subprocess, for what only a real server shows (signals, workers)."""

    def __init__(self, rules: Path, workers: int = 1, env: dict[str, str] | None = None,
                 args: list[str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "FORALDRASTOD_RULES": str(rules), **(env or {})}
        # stderr to a file: the access log would fill a pipe and block the server
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--port", str(self.port), "--workers", str(workers), *(args or [])],
            env=full_env, stdout=subprocess.DEVNULL, stderr=self.log, cwd=ROOT,
            start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.stderr()}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("server did not start")

    def children(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        out = self.stderr()
        self.log.close()
        return out


__all__ = ["DEFAULT_PACK", "MINI", "PERSONNUMMER_SHAPES", "Server", "bump_edition", "copy_pack", "free_port"]
