"""A real PostgreSQL server for the tests, started by the tests themselves.

initdb + pg_ctl in a temporary directory, a free port below 32768, the unix socket in that
directory, fsync off. PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` system user (created by the Debian package) through runuser. Binaries come from PATH
or /usr/lib/postgresql/*/bin (where Debian's `postgresql` package puts them; .ci/run installs it).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.httpbench import free_port


class PostgresUnavailable(RuntimeError):
    pass


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]


class PostgresServer:
    def __init__(self) -> None:
        self.initdb = find_bin("initdb")
        self.pg_ctl = find_bin("pg_ctl")
        if not self.initdb or not self.pg_ctl:
            raise PostgresUnavailable("initdb/pg_ctl finns inte (installera paketet postgresql)")
        self.tmp = Path(tempfile.mkdtemp(prefix="foraldrastod-pg-"))
        self.data = self.tmp / "data"
        self.socket_dir = self.tmp / "sock"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER") or "postgres"
        self.started = False

    def _run(self, cmd: list[str], timeout: float = 120) -> None:
        proc = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd)} misslyckades: {proc.stdout}{proc.stderr}")

    def start(self) -> "PostgresServer":
        self.socket_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:  # binaries without the Debian package's system user
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                                "postgres"], check=True, capture_output=True)
            os.chmod(self.tmp, 0o755)
            shutil.chown(self.tmp, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        self._run([self.initdb, "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync"])
        opts = (f"-c port={self.port} -c listen_addresses='' -c unix_socket_directories={self.socket_dir} "
                f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.tmp / "log"), "-o", opts, "-w",
                   "-t", "60", "start"])
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name: str) -> str:
        """A fresh empty database; its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.started:
            try:
                self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"], timeout=60)
            except (PostgresUnavailable, subprocess.TimeoutExpired):
                pass
            self.started = False
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
