"""Where the served rule pack comes from, and how every worker agrees on one version.

`PackSource` is the interface (shared with the workspace's DatabaseSource):

* `current()` names the pack to serve now with a cheap token; every worker polls it about once
  a second (service/core/state.py) and switches when it changes.
* `materialize(token)` gives a directory with that pack's files, which `Engine.load` reads.
* `describe()` says in Swedish where packs come from (logs, /healthz).

`DirectorySource` is directory mode (`serve --rules DIR`, the default). With a run directory
(`serve` creates one and passes it as FORALDRASTOD_RUN_DIR), a reload — the admin endpoint or
SIGHUP — first copies the pack directory into `<run>/packs/<token>`, validates and compiles the
copy, and only then writes the new token to `<run>/generation`. Workers therefore only ever load
a copy that is known to be valid, all of them load the same files even if the directory keeps
changing, and a worker that starts later (uvicorn replaces dead workers) gets the same version.
Each worker writes the token it serves to `<run>/acks/<pid>`, so the endpoint that asked for the
reload can say how many workers switched.

Without a run directory (tests, `create_app(dir)`), the single process reads the directory
itself and the token lives in memory.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

RUN_DIR_ENV = "FORALDRASTOD_RUN_DIR"
KEEP_SNAPSHOTS = 3
# (run dir, token) -> the Pack this process validated when it published that token. Shared by
# every DirectorySource in the process, so a single-worker `serve` loads the pack once.
_VALIDATED: dict[tuple[str, str], object] = {}


@runtime_checkable
class PackSource(Protocol):
    def current(self) -> str: ...

    def materialize(self, token: str) -> Path: ...

    def describe(self) -> str: ...


class ReloadFailed(Exception):
    """The new pack is invalid; the old one keeps serving. `errors` are `file:line: message`."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def validate_pack(directory: Path):
    """Load and compile the pack in `directory` without touching the C core. Returns the loaded
    Pack; raises ReloadFailed with `file:line: message` errors, never anything else."""
    from engine import CompileError, PackInvalid, load_pack
    from engine.compiler import compile_pack

    try:
        pack = load_pack(directory)
        compile_pack(pack, "check")
    except PackInvalid as exc:
        raise ReloadFailed([str(e) for e in exc.errors] or ["regelpaketet är ogiltigt"]) from None
    except CompileError as exc:
        raise ReloadFailed([f"regler: {p}" for p in exc.problems]) from None
    except RecursionError:
        raise ReloadFailed([f"{directory.name}: regelpaketet är för djupt nästlat"]) from None
    except Exception as exc:  # a file the loader did not foresee: never a traceback or a 500
        where = getattr(exc, "filename", None)
        name = Path(where).name if where else directory.name
        raise ReloadFailed([f"{name}:1: regelpaketet kunde inte läsas ({type(exc).__name__})"]) from None
    return pack


@contextlib.contextmanager
def _locked(path: Path):
    import fcntl

    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DirectorySource:
    """A pack directory; see the module docstring."""

    def __init__(self, directory: str | Path, run_dir: str | Path | None = None):
        self.directory = Path(directory)
        self.run_dir = Path(run_dir) if run_dir else None
        self._token = "g0"
        if self.run_dir is not None:
            (self.run_dir / "packs").mkdir(parents=True, exist_ok=True)
            (self.run_dir / "acks").mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ PackSource
    def current(self) -> str:
        if self.run_dir is None:
            return self._token
        try:
            return (self.run_dir / "generation").read_text(encoding="utf-8").strip() or "g0"
        except FileNotFoundError:
            return "g0"

    def materialize(self, token: str) -> Path:
        if self.run_dir is None or token == "g0":
            return self.directory
        path = self.run_dir / "packs" / token
        if not path.is_dir():
            raise ReloadFailed([f"{token}: regelpaketets kopia saknas i {self.run_dir}"])
        return path

    def describe(self) -> str:
        return f"katalogen {self.directory}"

    # ------------------------------------------------------------------ publishing
    def publish(self) -> str:
        """Validate the pack directory as it is now and make it the current pack for every
        worker. Returns the new token; raises ReloadFailed (nothing changes) if it is invalid."""
        if self.run_dir is None:
            pack = validate_pack(self.directory)
            self._token = f"g{int(self._token[1:]) + 1}"
            _VALIDATED.clear()
            _VALIDATED[(str(self.run_dir), self._token)] = pack
            return self._token
        with _locked(self.run_dir / "lock"):
            number = int(self.current()[1:]) + 1
            token = f"g{number}"
            tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=self.run_dir / "packs"))
            final = self.run_dir / "packs" / token
            try:
                try:
                    shutil.copytree(self.directory, tmp / "pack")
                except (OSError, shutil.Error) as exc:
                    raise ReloadFailed(_copy_errors(self.directory, exc)) from None
                # no worker reads packs/<token> before `generation` names it
                (tmp / "pack").rename(final)
                try:
                    pack = validate_pack(final)
                except ReloadFailed:
                    shutil.rmtree(final, ignore_errors=True)
                    raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            _VALIDATED.clear()
            _VALIDATED[(str(self.run_dir), token)] = pack
            _write_atomic(self.run_dir / "generation", token)
            self._prune(number)
            return token

    def _prune(self, number: int) -> None:
        for path in (self.run_dir / "packs").iterdir():
            name = path.name
            if name.startswith("g") and name[1:].isdigit() and int(name[1:]) <= number - KEEP_SNAPSHOTS:
                shutil.rmtree(path, ignore_errors=True)

    def take_validated(self, token: str):
        """The Pack this process validated when it published `token` (directory mode without a
        run directory), so the publishing worker does not read the files twice; else None."""
        held = _VALIDATED.pop((str(self.run_dir), token), None)
        _VALIDATED.clear()
        return held

    # ------------------------------------------------------------------ acknowledgements
    def acknowledge(self, token: str) -> None:
        acknowledge(self.run_dir, token)

    def workers(self) -> dict[int, str]:
        """Live worker pid → the token it serves."""
        if self.run_dir is None:
            return {os.getpid(): self._token}
        return live_workers(self.run_dir)


# --------------------------------------------------------------------------- acknowledgements
# Any PackSource gets these through the run directory (EngineState uses them when the source
# has no `acknowledge`/`workers` of its own), so a DatabaseSource needs nothing extra to report
# how many workers switched.
def run_dir_from_env() -> Path | None:
    value = os.environ.get(RUN_DIR_ENV)
    return Path(value) if value else None


def acknowledge(run_dir: Path | None, token: str) -> None:
    """Record that this worker now serves `token`."""
    if run_dir is not None:
        (run_dir / "acks").mkdir(parents=True, exist_ok=True)
        _write_atomic(run_dir / "acks" / str(os.getpid()), token)


def set_configured_workers(run_dir: Path, count: int) -> None:
    """How many workers `serve` starts, so a reload also waits for one that has not yet loaded
    its first pack (it has no acknowledgement to count)."""
    _write_atomic(run_dir / "workers", str(count))


def configured_workers(run_dir: Path) -> int:
    try:
        return int((run_dir / "workers").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0


def live_workers(run_dir: Path) -> dict[int, str]:
    """Live worker pid → the token it serves, from the acknowledgements."""
    out: dict[int, str] = {}
    acks = run_dir / "acks"
    if not acks.is_dir():
        return out
    for path in acks.iterdir():
        if not path.name.isdigit():
            continue
        pid = int(path.name)
        if not alive(pid):
            path.unlink(missing_ok=True)
            continue
        try:
            out[pid] = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            continue
    return out


def _copy_errors(directory: Path, exc: Exception) -> list[str]:
    if isinstance(exc, shutil.Error):
        out = []
        for item in exc.args[0] if exc.args and isinstance(exc.args[0], list) else []:
            src = Path(item[0]) if item else directory
            try:
                rel = src.relative_to(directory)
            except ValueError:
                rel = Path(src.name)
            out.append(f"{rel}:1: filen kan inte läsas (trasig symbolisk länk eller saknad fil)")
        return out or [f"{directory.name}: regelpaketet kunde inte kopieras"]
    name = Path(getattr(exc, "filename", "") or directory).name
    return [f"{name}:1: filen kan inte läsas ({type(exc).__name__})"]


def source_from_env(directory: str | Path | None = None,
                    database: Callable[[], PackSource | None] | None = None) -> PackSource:
    """The source `serve` configured: the database when `serve` chose it (`database()`, given by
    the app factory: the workspace knows the database, core does not), else a directory (the
    default pack unless FORALDRASTOD_RULES or `directory` names another), with the run directory
    from FORALDRASTOD_RUN_DIR if set."""
    from engine.loader import DEFAULT_PACK

    if directory is None and database is not None:
        found = database()
        if found is not None:
            return found
    target = Path(directory) if directory else Path(os.environ.get("FORALDRASTOD_RULES") or DEFAULT_PACK)
    return DirectorySource(target, os.environ.get(RUN_DIR_ENV) or None)
