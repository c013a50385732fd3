"""A real Celery worker process for the benchmarks, on the benchmark database and Redis database."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


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
    log_path = Path(settings.DATA_DIR) / "bench-worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "support.conf.bench", "PYTHONUNBUFFERED": "1"}
    if concurrency > 1:
        # As `make run` does: the pool processes share the cores rather than each using all of them.
        env.setdefault("EMBEDDING_THREADS", str(max(1, (os.cpu_count() or 1) // concurrency)))
    command = worker_command(queues=queues, concurrency=concurrency, name=name, quiet_cluster=True)
    with log_path.open("wb") as log:
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while not app.control.ping(destination=[name], timeout=0.5):
                if worker.poll() is not None:
                    raise RuntimeError(f"the Celery worker exited at start; see {log_path}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the Celery worker did not answer within 90 s; see {log_path}")
            yield name
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
