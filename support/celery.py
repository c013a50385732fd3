"""The Celery application. Queues: default, embeddings, inference, training (see support/conf/celery.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from celery import Celery, signals
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

# Celery's Django fixup closes every database connection before and after every task, unless told to reuse
# them: a fresh Postgres backend per task then costs more CPU than a draft's queries. Connections are kept
# instead, and treated as Django treats them between requests: dropped when older than CONN_MAX_AGE or
# unusable, and health-checked on first use (`close_old_connections`).
app.conf["CELERY_DB_REUSE_MAX"] = 10**9


@signals.task_prerun.connect(weak=False)
@signals.task_postrun.connect(weak=False)
def _database_connections_tidy(**_: object) -> None:
    from django.db import close_old_connections

    close_old_connections()


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
