"""DatabaseSource: the PackSource (service/packsource.py protocol) that serves the database's
current published version.

`current()` is one small query (the serving row joined with its version's number and version
string); every worker polls it about once a second, so a publish reaches every worker of every
server on the same database within a few seconds. `materialize(token)` writes that version's
files once into a cache directory and returns it; an Engine loads one directory, so a decision
never mixes versions.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from . import db, packfiles, store
from .models import PackVersion


def cache_root() -> Path:
    configured = os.environ.get("FORALDRASTOD_PACK_CACHE")
    if configured:
        return Path(configured)
    # per user: another local account cannot plant files where this server reads its pack
    root = Path(tempfile.gettempdir()) / f"foraldrastod-versions-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    if root.stat().st_uid != os.getuid():
        raise PermissionError(f"{root} tillhör en annan användare")
    return root


class DatabaseSource:
    def __init__(self, url: str | None = None, cache_dir: Path | None = None, seed: bool = True):
        self.url = url or db.database_url()
        self.cache_dir = Path(cache_dir) if cache_dir else cache_root()
        self._sessions = None
        if seed and not self._ready():
            prepare(self.url)

    def _ready(self) -> bool:
        """True when the schema exists and a version is current (then no migration is attempted:
        workers started by `serve` after it prepared the database never race on DDL)."""
        try:
            with self._session() as s:
                return store.current_token(s) is not None
        except DBAPIError:
            return False

    def _session(self) -> Session:
        if self._sessions is None or self._sessions.kw["bind"] is not db.make_engine(self.url):
            # per process: a forked worker builds its own engine and pool
            self._sessions = sessionmaker(db.make_engine(self.url), expire_on_commit=False)
        return self._sessions()

    def current(self) -> str:
        with self._session() as s:
            token = store.current_token(s)
        if token is None:
            raise LookupError("Databasen har ingen publicerad version.")
        return token

    def materialize(self, token: str) -> Path:
        number = int(token.split(":", 1)[0])
        with self._session() as s:
            pv = s.scalar(select(PackVersion).where(PackVersion.number == number))
            if pv is None:
                raise LookupError(f"Version {number} finns inte i databasen.")
            files = dict(pv.files)
        # The folder is named by every file of the version, features included: the version string
        # covers the rule files only, and the cache is shared by every database of this user, so
        # "1:<version>" of a database made anew (with other features) must not find the old folder.
        digest = hashlib.sha256(json.dumps(sorted(files.items()), ensure_ascii=False).encode("utf-8")).hexdigest()
        safe = re.sub(r"[^A-Za-z0-9._+-]", "_", token.replace(":", "-"))
        target = self.cache_dir / f"{safe}-{digest[:12]}"
        if (target / "pack.yaml").is_file():
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.cache_dir))
        packfiles.write_dir(files, tmp)
        try:
            tmp.rename(target)
        except OSError:  # another worker wrote it first: same files
            shutil.rmtree(tmp, ignore_errors=True)
        return target

    def describe(self) -> str:
        try:
            token = self.current()
            number, version = token.split(":", 1)
            now = f"version {number} ({version})"
        except Exception:  # noqa: BLE001 - describe never fails
            now = "ingen publicerad version"
        return f"databasen {db.describe_url(self.url)}, {now}"


def prepare(url: str | None = None) -> None:
    """Migrate the schema and, on an empty database, make the embedded pack version 1."""
    db.upgrade(url)
    with db.session_scope(url) as s:
        store.ensure_seeded(s)


SOURCE_ENV = "FORALDRASTOD_PACK_SOURCE"


def serve_source(rules: str | None) -> DatabaseSource | None:
    """For `foraldrastod serve` (the supervisor, once, before workers start): the database unless
    a --rules directory (or FORALDRASTOD_RULES) is given: DATABASE_URL, else the SQLite file in
    var/. Migrates and seeds it (an empty database gets the embedded pack as version 1), and sets
    FORALDRASTOD_PACK_SOURCE=database so the workers' `from_env()` use it too, and what is published
    in /redaktion or with `pack publish` is what every worker serves. None: serve the directory."""
    if rules or os.environ.get("FORALDRASTOD_RULES"):
        os.environ.pop(SOURCE_ENV, None)
        return None
    try:
        source = DatabaseSource()
    except (DBAPIError, store.Refused) as exc:
        reason = exc.message if isinstance(exc, store.Refused) else str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        print(f"Databasen {db.describe_url()} kan inte användas: {reason}", file=sys.stderr)
        print("Ange en annan DATABASE_URL, eller --rules DIR för att använda en mapp med regelpaketet.", file=sys.stderr)
        raise SystemExit(1) from None
    os.environ[SOURCE_ENV] = "database"
    return source


def from_env() -> DatabaseSource | None:
    """In a worker: the DatabaseSource when `serve` chose the database (FORALDRASTOD_PACK_SOURCE),
    else None. Never chosen implicitly, so create_app() in tests keeps serving directories."""
    if os.environ.get(SOURCE_ENV) == "database":
        return DatabaseSource(seed=False)
    return None
