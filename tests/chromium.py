"""Debian's Chromium as every browser test starts it (Playwright drives it; its own download fails here)."""
from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("FORALDRASTOD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
