"""The Celery application. Queues: default, embeddings, inference, training (see support/conf/celery.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.conf.settings")

app = Celery("openbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue gets its own exchange and routing key: a task sent to one queue must land in that queue only.
app.conf.task_queues = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("default", "embeddings", "inference", "training")
]
app.autodiscover_tasks()


def worker_command(
    *, queues: Sequence[str], concurrency: int, name: str, quiet_cluster: bool = False
) -> list[str]:
    """The command line of a worker process consuming `queues` (make run, the tests and the benchmarks all
    start theirs with it). `quiet_cluster` skips the start-up chatter with other workers, for short-lived
    workers that must answer a ping quickly."""
    command = [sys.executable, "-m", "celery", "-A", "support", "worker", "-Q", ",".join(queues)]
    command += ["-c", str(concurrency), "-n", name, "--loglevel", "INFO"]
    if quiet_cluster:
        command += ["--without-mingle", "--without-gossip"]
    return command
