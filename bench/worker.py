"""A real Celery worker process for the benchmarks, on the benchmark database and Redis database."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


@contextmanager
def child_process(
    command: list[str],
    *,
    name: str,
    log_path: Path,
    env: dict[str, str],
    ready: Callable[[], bool],
    wait: float,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` (output to `log_path`), wait until `ready()` says it serves, stop it on exit."""
    with log_path.open("wb") as log:
        child = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + wait
            while not ready():
                if child.poll() is not None:
                    raise RuntimeError(f"the {name} exited at start; see {log_path}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the {name} did not answer within {wait:g} s; see {log_path}")
                time.sleep(0.2)
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@contextmanager
def celery_worker(*, queues: tuple[str, ...] = ("embeddings",), concurrency: int = 1) -> Iterator[str]:
    """Start a worker consuming `queues`, wait until it answers a ping, yield its name, stop it on exit.

    The benchmark Redis database is emptied first: tasks left by an interrupted run would be timed too.
    """
    import redis
    from django.conf import settings

    from support.celery import app, worker_command

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    name = f"bench-{os.getpid()}@{socket.gethostname()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONUNBUFFERED": "1"}
    if concurrency > 1:
        # As `make run` does: the pool processes share the cores rather than each using all of them.
        env.setdefault("EMBEDDING_THREADS", str(max(1, (os.cpu_count() or 1) // concurrency)))
    command = worker_command(queues=queues, concurrency=concurrency, name=name, quiet_cluster=True)
    with child_process(
        command,
        name="Celery worker",
        log_path=Path(settings.DATA_DIR) / "bench-worker.log",
        env=env,
        ready=lambda: bool(app.control.ping(destination=[name], timeout=0.5)),
        wait=90,
    ):
        yield name
