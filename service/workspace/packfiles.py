"""Pack files as a dict {relative posix path: text}, to and from directories.

Lossless: text is the file's exact UTF-8 bytes decoded (no newline translation), so a version
exported from the database gives the same version string under `check` as the directory it was
imported from.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from engine import PackInvalid, load_pack

MAX_FILES = 500
MAX_FILE_BYTES = 2_000_000
SUFFIXES = (".yaml", ".yml", ".md", ".txt", ".feature")
_SAFE_PART = re.compile(r"^[A-Za-z0-9_.\-åäöÅÄÖ]+$")


class FilesInvalid(ValueError):
    """A path or file the workspace does not take; the message is Swedish."""


def check_path(path: str) -> str:
    """A safe relative path inside a pack, or FilesInvalid."""
    if not isinstance(path, str) or not path or len(path) > 200:
        raise FilesInvalid("ogiltigt filnamn")
    p = PurePosixPath(path)
    if p.is_absolute() or "\\" in path or any(part in ("", ".", "..") for part in path.split("/")):
        raise FilesInvalid(f"{path}: filnamnet måste vara en relativ sökväg inom regelpaketet")
    if any(part.startswith(".") or not _SAFE_PART.match(part) for part in p.parts):
        raise FilesInvalid(f"{path}: filnamnet får bara innehålla bokstäver, siffror, punkt, bindestreck och understreck")
    if p.suffix not in SUFFIXES:
        raise FilesInvalid(f"{path}: bara filer av typen {', '.join(SUFFIXES)} hör till ett regelpaket")
    return p.as_posix()


def check_text(path: str, text: str) -> None:
    if not isinstance(text, str):
        raise FilesInvalid(f"{path}: innehållet måste vara text")
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise FilesInvalid(f"{path}: filen är större än {MAX_FILE_BYTES // 1_000_000} MB")
    if "\x00" in text:
        raise FilesInvalid(f"{path}: filen innehåller otillåtna tecken")


def read_dir(directory: Path) -> dict[str, str]:
    """Every pack file under `directory` (hidden files and caches left out)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FilesInvalid(f"{directory}: mappen finns inte")
    files: dict[str, str] = {}
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if not path.is_file() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if path.suffix not in SUFFIXES:
            continue
        rel_text = check_path(rel.as_posix())
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise FilesInvalid(f"{rel_text}: filen är inte UTF-8") from None
        check_text(rel_text, text)
        files[rel_text] = text
        if len(files) > MAX_FILES:
            raise FilesInvalid(f"{directory}: fler än {MAX_FILES} filer")
    if not files:
        raise FilesInvalid(f"{directory}: inga regelpaketsfiler i mappen")
    return files


def write_dir(files: dict[str, str], directory: Path) -> Path:
    """Write `files` into `directory` (created; must be empty or absent)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        target = directory / check_path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
    return directory


class TempPack:
    """`with TempPack(files) as d:` a temporary directory holding the files, removed afterwards."""

    def __init__(self, files: dict[str, str]):
        self.files = files
        self.path: Path | None = None

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="foraldrastod-ws-"))
        return write_dir(self.files, self.path)

    def __exit__(self, *exc) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


def version_of(files: dict[str, str]) -> str:
    """The engine's version string of these files (raises PackInvalid when they do not load)."""
    with TempPack(files) as d:
        return load_pack(d).version


def try_version(files: dict[str, str]) -> tuple[str | None, list[str]]:
    try:
        return version_of(files), []
    except PackInvalid as exc:
        return None, [str(e) for e in exc.errors]
