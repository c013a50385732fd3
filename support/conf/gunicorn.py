"""gunicorn's configuration for the production web server (`python -m support.serve web` passes it as
`-c python:support.conf.gunicorn`). Read by gunicorn's master before any worker starts, so it reads the
environment only (support.conf.web), never Django's settings.

Worker class: `gthread`. The draft stream (`GET /api/v1/suggestions/<id>/stream`, server-sent events) keeps
its request open while the draft is generated, up to two minutes, blocked on Redis in between events. A
`sync` worker would be taken whole by one stream, and its heartbeat would stop, so the master would kill it
after `timeout` seconds. With threads, each open stream holds one thread while the worker's main loop
keeps accepting connections and beating, so `timeout` bounds a hung process, not a long request, and a
worker serves WEB_THREADS requests at once, streams included. Every view here is synchronous Django and DRF
code; an ASGI server would run each of them in a thread pool anyway.

Sizing: WEB_WORKERS processes (about one per core) × WEB_THREADS threads is the concurrency of a pod, and
also the most database connections it opens (each thread keeps its own for DATABASE_CONN_MAX_AGE): keep
pods × workers × threads under Postgres's max_connections, or put PgBouncer in between.
"""

from __future__ import annotations

import os
from typing import Any

from support.conf import web
from support.core import metric_files

bind = [f"{web.HOST}:{web.PORT}"]
workers = web.WEB_WORKERS
worker_class = "gthread"
threads = web.WEB_THREADS
# A worker whose heartbeat stops this long is restarted (with gthread, a hung process, not a slow request).
timeout = 30
# On SIGTERM, in-flight requests get this long. A draft stream cut off then is resumed by the browser
# with Last-Event-ID against another pod, so it need not outlive a deploy.
graceful_timeout = 25
keepalive = 5
# Replace each worker now and then: memory a long-lived Python process fragments is given back.
max_requests = 5000
max_requests_jitter = 500
# Workers load the application themselves: no database connection or metric file is shared across fork.
preload_app = False
# Heartbeat files on a memory file system: a container's disk may be slow or read-only.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - a fixed system folder
# No control socket: it would need a writable home folder, and nothing here uses gunicornc.
control_socket_disable = True
# One access line per request comes from Django (support.core.middleware, with the request id and the
# route); gunicorn's own would say the same without them.
accesslog = None
errorlog = "-"
# gunicorn's own messages (start, worker exits); Django validates LOG_LEVEL for everything else.
loglevel = os.environ.get("LOG_LEVEL", "INFO").strip().lower() or "info"
proc_name = "openbook-web"


def on_starting(server: Any) -> None:
    metric_files.multiprocess_dir_reset()


def child_exit(server: Any, worker: Any) -> None:
    metric_files.process_dead(worker.pid)
