"""Prometheus metrics: what each process counts, and how a scrape reads them.

Counts and timings (requests, tasks, retrieval, drafts, training runs) are kept by the process they happen
in. Under gunicorn and in Celery's prefork pool those are many processes, so with `PROMETHEUS_MULTIPROC_DIR`
set prometheus_client keeps each process's values in files there, and a scrape adds them up
(`MultiProcessCollector`). The web's `/metrics` serves its own processes; a worker serves its pool's on
`METRICS_PORT` (`worker_exporter_start`), since every machine's workers count their own tasks.

State that lives outside any process (queue depth in Redis, training runs by status in the database) is
read at scrape time by the collectors apps register with `scrape_collector_register`, and only the web's
`/metrics` serves it: one answer for the whole stack, however many workers there are.

This module belongs to the shared kernel so that `knowledge` and `models_ft` may record into it.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .metric_files import multiprocess_dir

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)

HTTP_REQUEST_SECONDS = Histogram(
    "openbook_http_request_duration_seconds",
    "Time to the response's first byte, by method, route (the URL pattern, not the path) and status. "
    "For the draft stream that is the time to open it, not how long it stayed open.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
TASK_SECONDS = Histogram(
    "openbook_task_duration_seconds",
    "Run time of Celery tasks by task name and final state (success, failure, retry).",
    ["task", "state"],
    buckets=_TASK_BUCKETS,
)
TASK_FAILURES = Counter(
    "openbook_task_failures",
    "Celery tasks that raised, by task name and exception type.",
    ["task", "exception"],
)
RETRIEVAL_SECONDS = Histogram(
    "openbook_retrieval_duration_seconds",
    "Knowledge retrieval (query embedding included) by whether vector search took part: used, off, or "
    "unavailable (no embedding worker answered in time, keywords only).",
    ["vector_search"],
    buckets=_LATENCY_BUCKETS,
)
DRAFTS = Counter("openbook_drafts", "Drafts finished, by status (ready or failed).", ["status"])
DRAFT_SECONDS = Histogram(
    "openbook_draft_duration_seconds",
    "Time from a draft's start to its first token and to the checked draft (stage first_token or total).",
    ["stage"],
    buckets=_LATENCY_BUCKETS,
)
DRAFTS_SENT = Counter(
    "openbook_drafts_sent",
    "Drafts sent to customers, by outcome: accepted (as drafted), edited (at most half the words changed), "
    "rewritten. Acceptance rate: accepted / all.",
    ["outcome"],
)
DRAFT_EDIT_RATIO = Histogram(
    "openbook_draft_edit_ratio",
    "Word edit distance between draft and sent reply, divided by the draft's words (0: sent as drafted).",
    buckets=(0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0),
)
TRAINING_RUNS_FINISHED = Counter(
    "openbook_training_runs_finished", "Training runs that ended, by status.", ["status"]
)

INBOUND_DELIVERIES = Counter(
    "openbook_inbound_deliveries",
    "Events received from integration sources, by the source's kind and what became of them.",
    ["kind", "status"],
)
OUTBOUND_ATTEMPTS = Counter(
    "openbook_outbound_attempts",
    "Attempts at sending events to subscriptions, by event and result (delivered, retrying, dead).",
    ["event_type", "result"],
)
OUTBOUND_ATTEMPT_SECONDS = Histogram(
    "openbook_outbound_attempt_duration_seconds",
    "How long subscribers took to answer an attempt (or not to).",
    buckets=_LATENCY_BUCKETS,
)

_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def http_request_observed(*, method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _HTTP_METHODS else "OTHER"  # a label per invented verb would never end
    HTTP_REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)


def task_observed(*, task: str, state: str, seconds: float) -> None:
    TASK_SECONDS.labels(task, state.lower()).observe(seconds)


def task_failed(*, task: str, exception: str) -> None:
    TASK_FAILURES.labels(task, exception).inc()


def retrieval_observed(*, vector_search: str, seconds: float) -> None:
    RETRIEVAL_SECONDS.labels(vector_search).observe(seconds)


def draft_finished(
    *, status: str, first_token_seconds: float | None = None, seconds: float | None = None
) -> None:
    DRAFTS.labels(status).inc()
    if first_token_seconds is not None:
        DRAFT_SECONDS.labels("first_token").observe(first_token_seconds)
    if seconds is not None:
        DRAFT_SECONDS.labels("total").observe(seconds)


def draft_sent(*, outcome: str, edit_distance: int, draft_words: int) -> None:
    DRAFTS_SENT.labels(outcome).inc()
    DRAFT_EDIT_RATIO.observe(edit_distance / max(draft_words, 1))


def training_run_finished(*, status: str) -> None:
    TRAINING_RUNS_FINISHED.labels(status).inc()


# --- Scrape-time collectors ------------------------------------------------------------------------------


class ScrapeCollector:
    """State read at scrape time from a source that may be down (Redis, the database). The scrape still
    answers with what it could read, and `openbook_scrape_error{collector=name}` says what is missing."""

    name = "collector"

    def read(self) -> Iterable[Metric]:
        raise NotImplementedError


_scrape_collectors: list[ScrapeCollector] = []


def scrape_collector_register(collector: ScrapeCollector) -> None:
    """Add a collector the web's `/metrics` runs at every scrape (idempotent per class)."""
    if not any(type(existing) is type(collector) for existing in _scrape_collectors):
        _scrape_collectors.append(collector)


class _Scrape(Collector):
    """Every registered ScrapeCollector, and one `openbook_scrape_error` family for all of them (a metric
    name may appear only once in an exposition)."""

    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily(
            "openbook_scrape_error",
            "1 when a scrape-time collector could not read its source.",
            labels=["collector"],
        )
        for collector in _scrape_collectors:
            try:
                found = list(collector.read())
            except Exception as exc:  # the scrape must answer whatever is down
                log.warning("metrics collector %s failed: %s", collector.name, exc)
                errors.add_metric([collector.name], 1.0)
                continue
            errors.add_metric([collector.name], 0.0)
            yield from found
        yield errors


# kombu's Redis transport keeps a queue as a list named after it, plus one list per priority step above 0.
_KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
_KOMBU_PRIORITY_STEPS = (3, 6, 9)


class QueueCollector(ScrapeCollector):
    """Celery queue depth per queue, unacknowledged tasks, and how long ago each queue's ping was consumed,
    all from Redis."""

    name = "celery_queues"

    def read(self) -> Iterable[Metric]:
        from django.conf import settings

        from .health import PING_KEY, _redis

        client = _redis()
        queues = list(dict.fromkeys([*settings.CELERY_QUEUES_ALL, settings.QUERY_EMBEDDING_QUEUE]))
        keys = [
            [queue, *(f"{queue}{_KOMBU_PRIORITY_SEPARATOR}{step}" for step in _KOMBU_PRIORITY_STEPS)]
            for queue in queues
        ]
        pipe = client.pipeline(transaction=False)
        for names in keys:
            for name in names:
                pipe.llen(name)
        pipe.hlen("unacked")
        for queue in queues:
            pipe.get(PING_KEY.format(queue=queue))
        results = pipe.execute()
        depth = GaugeMetricFamily(
            "openbook_celery_queue_depth", "Tasks waiting in each Celery queue (Redis).", labels=["queue"]
        )
        position = 0
        for queue, names in zip(queues, keys, strict=True):
            depth.add_metric(
                [queue], float(sum(int(n or 0) for n in results[position : position + len(names)]))
            )
            position += len(names)
        unacked = GaugeMetricFamily(
            "openbook_celery_unacked_tasks", "Tasks a worker has taken but not yet acknowledged (all queues)."
        )
        unacked.add_metric([], float(results[position] or 0))
        position += 1
        pings = GaugeMetricFamily(
            "openbook_worker_ping_timestamp_seconds",
            "When a worker last consumed each queue's liveness ping (Unix time; absent: never, or long ago).",
            labels=["queue"],
        )
        for queue, raw in zip(queues, results[position:], strict=True):
            if raw:
                pings.add_metric([queue], float(raw))
        return [depth, unacked, pings]


# --- Exposition --------------------------------------------------------------------------------------------


def exposition(*, include_scrape: bool) -> bytes:
    """The metrics in Prometheus's text format: this process tree's counts (every process's, in
    multiprocess mode), then, when `include_scrape`, the scrape-time collectors'."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if include_scrape and _scrape_collectors:
        scrape = CollectorRegistry()
        scrape.register(_Scrape())
        body += generate_latest(scrape)
    return body


CONTENT_TYPE = CONTENT_TYPE_LATEST


def metrics_access(*, authorization: str, token: str, debug: bool) -> int:
    """200 when the caller may read metrics, 401 for a missing or wrong bearer token, 404 when metrics
    are off: without METRICS_TOKEN they are served in development only, so a production deployment that
    forgot the token shows nothing rather than everything."""
    if not token:
        return 200 if debug else 404
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return 200
    return 401


# --- The worker's exporter ---------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a scrape every 15 seconds is not news


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _exporter_app(*, token: str, debug: bool) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if path != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        status = metrics_access(authorization=environ.get("HTTP_AUTHORIZATION", ""), token=token, debug=debug)
        if status == 401:
            start_response(
                "401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")]
            )
            return [b"a bearer token is required\n"]
        if status == 404:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"metrics are off: set METRICS_TOKEN\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [exposition(include_scrape=False)]

    return app


def worker_exporter_start(*, address: str, port: int, token: str, debug: bool) -> WSGIServer:
    """Serve `/metrics` (this worker's pool, token-protected like the web's) and `/healthz` (the main
    process answers) on `address:port`, from a daemon thread of the worker's main process."""
    server = make_server(
        address,
        port,
        _exporter_app(token=token, debug=debug),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    log.info("worker metrics on http://%s:%s/metrics", address, server.server_port)
    return server


def inbound_delivery_observed(*, kind: str, status: str) -> None:
    INBOUND_DELIVERIES.labels(kind, status).inc()


def outbound_attempt_observed(*, event_type: str, result: str, seconds: float) -> None:
    OUTBOUND_ATTEMPTS.labels(event_type, result).inc()
    OUTBOUND_ATTEMPT_SECONDS.observe(seconds)
