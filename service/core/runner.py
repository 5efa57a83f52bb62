"""`foraldrastod serve`: uvicorn with the hardened protocol, limits, one run directory shared by
the workers, and a supervisor that turns SIGHUP into a pack publication instead of restarts.

The run directory (FORALDRASTOD_RUN_DIR) holds the validated pack copies and the generation
token (service/core/packsource.py), each worker's acknowledgement, and the Prometheus multiprocess
files. It is created at start and removed at exit.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
import os
import shutil
import sys
import tempfile
from pathlib import Path

from service.core import packsource
from service.core.packsource import RUN_DIR_ENV, DirectorySource, PackSource, ReloadFailed
from service.core.server import connection_cap, raise_fd_limit

DEFAULT_KEEP_ALIVE = 5
DEFAULT_LIMIT_CONCURRENCY = 4096
H11_MAX_INCOMPLETE = 16 * 1024  # request line + headers


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _log(event: str, **fields) -> None:
    from service.core.logs import log_event

    log_event(event, **fields)


def start_line(host: str, port: int) -> str:
    """The one line for a person on stdout once the port is bound (the JSON log is on stderr)."""
    everywhere = host in ("", "0.0.0.0", "::")
    shown = "127.0.0.1" if everywhere else host
    if ":" in shown:
        shown = f"[{shown}]"
    line = f"Öppna http://{shown}:{port} i webbläsaren (Ctrl+C avslutar)"
    return line + (" – tjänsten svarar på alla nätverksadresser" if everywhere else "")


def _say_where(host: str, sock) -> None:
    print(start_line(host, sock.getsockname()[1]), flush=True)


def workers_of(args: argparse.Namespace) -> int:
    return max(1, getattr(args, "workers", 1) or 1)


def serve(args: argparse.Namespace, database_source: Callable[[str | None], PackSource | None] | None = None) -> int:
    """`foraldrastod serve`: `database_source(rules)` is the database source when serving from
    it (the command line gives the workspace's; None serves the directory)."""
    import uvicorn

    from service.core import forwarded

    if getattr(args, "rules", None):
        os.environ["FORALDRASTOD_RULES"] = str(Path(args.rules).resolve())
    if getattr(args, "header_timeout", None) is not None:
        os.environ["FORALDRASTOD_HEADER_TIMEOUT"] = str(args.header_timeout)
    from engine.loader import DEFAULT_PACK

    directory = Path(os.environ.get("FORALDRASTOD_RULES") or DEFAULT_PACK)
    run_dir = Path(tempfile.mkdtemp(prefix="foraldrastod-run-"))
    os.environ[RUN_DIR_ENV] = str(run_dir)
    packsource.set_configured_workers(run_dir, workers_of(args))
    metrics_dir = run_dir / "metrics"
    metrics_dir.mkdir()
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    # the database unless --rules DIR is given
    database = database_source(getattr(args, "rules", None)) if database_source else None
    source = database or DirectorySource(directory, run_dir)
    from service.core.state import quiet_gc  # after PROMETHEUS_MULTIPROC_DIR is set: it imports the metrics

    try:  # fail fast, in Swedish, before uvicorn starts workers
        if database is None:
            with quiet_gc():
                token = source.publish()
            if workers_of(args) > 1:
                source.take_validated(token)  # the supervisor serves nothing; a single worker reuses it
    except ReloadFailed as exc:
        _err("Regelpaketet är ogiltigt:")
        for e in exc.errors:
            _err(str(e))
        shutil.rmtree(run_dir, ignore_errors=True)
        return 1

    soft, hard = raise_fd_limit()
    workers = max(1, args.workers)
    limit = connection_cap(getattr(args, "limit_concurrency", None) or DEFAULT_LIMIT_CONCURRENCY, workers, soft)
    config = uvicorn.Config(
        "service.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        log_level="warning",
        access_log=False,  # service.app logs method, route template, status and latency; never bodies
        server_header=False,
        http="service.core.server:HardenedH11Protocol",
        timeout_keep_alive=getattr(args, "timeout_keep_alive", None) or DEFAULT_KEEP_ALIVE,
        limit_concurrency=limit,
        h11_max_incomplete_event_size=H11_MAX_INCOMPLETE,
        timeout_graceful_shutdown=10,
        **forwarded.uvicorn_options(),  # X-Forwarded-* only from FORALDRASTOD_TRUSTED_PROXIES
    )
    _log("serve", workers=workers, limit_concurrency=limit, nofile=soft,
         source=source.describe(), header_timeout=float(os.environ.get("FORALDRASTOD_HEADER_TIMEOUT", "10")))
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            class PackMultiprocess(Multiprocess):
                """SIGHUP publishes the pack on disk (validated) for every worker to follow,
                instead of uvicorn's restart of every worker: a broken pack is refused here and
                no worker ever loads it."""

                def handle_hup(self) -> None:  # type: ignore[override]
                    if database is not None:
                        _log("reload", trigger="SIGHUP", ok=False,
                             errors=["regelpaketet kommer ur databasen: publicera med 'pack publish' eller i /redaktion"])
                        return
                    try:
                        token = source.publish()
                    except ReloadFailed as exc:
                        _log("reload", trigger="SIGHUP", ok=False, errors=exc.errors[:20])
                    except Exception as exc:  # noqa: BLE001 - the supervisor must survive
                        _log("reload", trigger="SIGHUP", ok=False, errors=[type(exc).__name__])
                    else:
                        source.take_validated(token)  # the supervisor serves nothing: drop it
                        _log("reload", trigger="SIGHUP", ok=True, published=token)

            sock = config.bind_socket()
            _say_where(args.host, sock)
            PackMultiprocess(config, sockets=[sock]).run()
        else:
            sock = config.bind_socket()
            _say_where(args.host, sock)
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0
