"""The Celery application. Queues: default, embeddings, inference, training (see support/conf/celery.py)."""

from __future__ import annotations

import logging.config
import os
import sys
import time
from collections.abc import Sequence
from contextvars import Token
from typing import Any

from celery import Celery, signals
from kombu import Exchange, Queue

from support.broker import redis_closed_transport_raises_connection_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.conf.settings")
# Without it, a worker exits when Redis goes away while a task runs (see support/broker.py).
redis_closed_transport_raises_connection_error()

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


# --- Logs, request ids and metrics ------------------------------------------------------------------------
# Workers log through Django's LOGGING (JSON in production) rather than Celery's own format, and a task
# queued while serving a request carries that request's id in its message headers, so one id finds the
# request and every task it caused.


@signals.setup_logging.connect(weak=False)
def _logging_configure(**_: object) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect(weak=False)
def _request_id_forward(headers: dict[str, Any] | None = None, **_: object) -> None:
    from support.core.logs import REQUEST_ID

    request_id = REQUEST_ID.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


# Per task id, in the process that runs it: when it started and the context tokens to reset afterwards.
_running: dict[str, tuple[float, Token[str], Token[tuple[str, str]]]] = {}


@signals.task_prerun.connect(weak=False)
def _task_context_bind(task_id: str = "", task: Any = None, **_: object) -> None:
    from support.core.logs import REQUEST_ID, TASK

    request_id = str(getattr(task.request, "request_id", None) or "") if task is not None else ""
    name = str(getattr(task, "name", "") or "")
    _running[task_id] = (time.monotonic(), REQUEST_ID.set(request_id), TASK.set((name, task_id)))


@signals.task_postrun.connect(weak=False)
def _task_context_release(task_id: str = "", task: Any = None, state: str | None = None, **_: object) -> None:
    from support.core import metrics
    from support.core.logs import REQUEST_ID, TASK

    started = _running.pop(task_id, None)
    if started is None:
        return
    began, request_token, task_token = started
    metrics.task_observed(
        task=str(getattr(task, "name", "") or "unknown"),
        state=state or "unknown",
        seconds=time.monotonic() - began,
    )
    REQUEST_ID.reset(request_token)
    TASK.reset(task_token)


@signals.task_failure.connect(weak=False)
def _task_failure_count(sender: Any = None, exception: BaseException | None = None, **_: object) -> None:
    from support.core import metrics

    metrics.task_failed(
        task=str(getattr(sender, "name", "") or "unknown"),
        exception=type(exception).__name__ if exception else "",
    )


@signals.worker_init.connect(weak=False)
def _worker_metrics_start(**_: object) -> None:
    """In the worker's main process, before the pool forks: a clean folder for the pool's metric files,
    and the exporter on METRICS_PORT when one is set."""
    from django.conf import settings

    from support.core import metric_files, metrics

    metric_files.multiprocess_dir_reset()
    if settings.METRICS_PORT:
        metrics.worker_exporter_start(
            address="0.0.0.0",  # noqa: S104 - scraped from other machines; METRICS_TOKEN guards it
            port=settings.METRICS_PORT,
            token=settings.METRICS_TOKEN,
            debug=settings.DEBUG,
        )


@signals.worker_process_shutdown.connect(weak=False)
def _worker_process_gone(pid: int | None = None, **_: object) -> None:
    from support.core import metric_files

    metric_files.process_dead(pid or os.getpid())


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
