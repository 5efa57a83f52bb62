"""With several workers, /metrics sums over the workers' files (prometheus multiprocess mode);
a worker that is gone must not keep reporting the pack it served."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
from service.core import metrics
metrics.pack_switched(None, {"name": "paket", "version": "gammal+1"})
"""

RENDER = """
from service.core import metrics
print(metrics.exposition()[0].decode())
"""


def _run(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, text=True,
                          capture_output=True, timeout=60).stdout


def test_a_dead_workers_pack_gauge_is_forgotten(tmp_path):
    _run(CHILD, tmp_path)  # a worker that served 'gammal+1' and exited
    assert any(n.startswith("gauge_live") for n in os.listdir(tmp_path))
    text = _run(RENDER, tmp_path)
    assert 'version="gammal+1"' not in text
    assert not any(n.startswith("gauge_live") for n in os.listdir(tmp_path))


def test_a_live_workers_pack_gauge_stays(tmp_path):
    code = CHILD + "\nimport time\nprint('klar', flush=True)\ntime.sleep(60)\n"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "klar"
        assert 'version="gammal+1"' in _run(RENDER, tmp_path)
    finally:
        proc.kill()
        proc.wait()
