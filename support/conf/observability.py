"""Metrics and their protection. Logs are configured in base (LOG_LEVEL, LOG_FORMAT)."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import env_int, env_str

METRICS_TOKEN = (
    env_str(
        "METRICS_TOKEN",
        "",
        help="Bearer token Prometheus sends to read /metrics (web) and the workers' METRICS_PORT. Empty: "
        "metrics are served in development only.",
    )
    or ""
)
METRICS_PORT = env_int(
    "METRICS_PORT",
    0,
    minimum=0,
    maximum=65535,
    help="Port on which a Celery worker serves its own /metrics and /healthz (0: none).",
)

# prometheus_client reads this variable itself, when the first metric is made, and goes into multiprocess
# mode whenever it is present, even empty (its files then land in the working folder). So it is checked
# here, once, before any metric exists.
PROMETHEUS_MULTIPROC_DIR = (
    env_str(
        "PROMETHEUS_MULTIPROC_DIR",
        "",
        help="Folder where the processes of one gunicorn or Celery worker keep their metric values, so a "
        "scrape adds them up. Needed with more than one web or pool process; one folder per process tree.",
    )
    or ""
)
if "PROMETHEUS_MULTIPROC_DIR" in os.environ and not PROMETHEUS_MULTIPROC_DIR:
    raise ImproperlyConfigured(
        "Environment variable PROMETHEUS_MULTIPROC_DIR is set but empty: name a writable folder, or unset it."
    )
if PROMETHEUS_MULTIPROC_DIR:
    try:
        Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Environment variable PROMETHEUS_MULTIPROC_DIR={PROMETHEUS_MULTIPROC_DIR!r} is invalid: "
            f"cannot create the folder ({exc.strerror})."
        ) from None
if METRICS_PORT and not PROMETHEUS_MULTIPROC_DIR:
    # A prefork worker's tasks run in child processes; without the shared folder its exporter, in the
    # main process, would serve none of their counts.
    raise ImproperlyConfigured(
        "METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR (a folder for the pool's metrics)."
    )
