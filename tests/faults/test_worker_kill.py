"""SIGKILL the embedding worker (the worker and its pool children at once) in the middle of an embedding
model switch, while new documents keep arriving; restart it; check that nothing was lost, nothing was done
twice, and that search served one model's vectors throughout, switching once, at the end.

Each trial switches the library to a new model: the worker starts with EMBEDDING_MODEL set to it, and
beat's knowledge sweep (every 5 s here) starts the switch, as after a deploy that changes the setting. The
models are tiny ones with random weights (tests/faults/library.py), so a trial takes seconds.

Sizes: FAULT_CHUNKS (default 1000) and FAULT_TRIALS (default 1); `FAULT_CHUNKS=10000 FAULT_TRIALS=20` is
the long run. The summary goes to var/reports/faults.json under "kill_worker"."""

from __future__ import annotations

import random
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from knowledge.models import Chunk, DocumentVersion, IndexState

from .library import library_build, tiny_embedder
from .observer import IndexObserver
from .stack import (
    CeleryProcess,
    Producer,
    beat_start,
    duplicated_rows,
    logs_dir,
    report_write,
    scalar,
    sizes,
    worker_start,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DEFAULT_TRIALS = 1
# New documents arrive all through each trial, one every this many seconds, until the switch is done:
# some of them after the switch listed what it had to re-embed.
NEW_DOCUMENT_SECONDS = 1.0


def _state() -> IndexState:
    return IndexState.objects.get(pk=1)


def _wait(condition: Any, *, timeout: float, what: str, pause: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(pause)


def _settled(target: str) -> bool:
    state = _state()
    waiting = (DocumentVersion.State.QUEUED, DocumentVersion.State.EMBEDDING)
    return (
        state.active_model == target
        and not state.target_model
        and not Chunk.objects.filter(dirty=True).exists()
        and not DocumentVersion.objects.filter(state__in=waiting).exists()
    )


def _check(target: str, produced: list[dict[str, Any]]) -> dict[str, Any]:
    """What the database holds once the trial settled."""
    missing = scalar(
        "SELECT count(*) FROM knowledge_chunk WHERE embedding_model <> %s OR embedding IS NULL OR dirty",
        [target],
    )
    # Every version the producer stored is served, and so is every document's newest version.
    stored = [p["version"] for p in produced if p["version"]]
    not_active = (
        DocumentVersion.objects.filter(pk__in=stored).exclude(state=DocumentVersion.State.ACTIVE).count()
    )
    not_active += scalar(
        "SELECT count(*) FROM knowledge_document d WHERE d.active_version_id IS DISTINCT FROM (SELECT v.id "
        "FROM knowledge_documentversion v WHERE v.document_id = d.id ORDER BY v.number DESC LIMIT 1)"
    )
    duplicated = duplicated_rows()
    counters = scalar(
        "SELECT count(*) FROM knowledge_documentversion v WHERE v.chunks_total <> "
        "(SELECT count(*) FROM knowledge_chunk c WHERE c.version_id = v.id) "
        "OR (v.state = 'active' AND v.chunks_embedded <> v.chunks_total)"
    )
    cached = scalar("SELECT count(*) FROM knowledge_embeddingcache WHERE model = %s", [target])
    distinct = scalar("SELECT count(DISTINCT content_hash) FROM knowledge_chunk")
    return {
        "missing": missing,
        "not_active": not_active,
        "duplicated": duplicated,
        "counter_errors": counters + abs(cached - distinct),
        "errors": [p["error"] for p in produced if p["error"]],
    }


def _trial(
    n: int, *, source: str, target: str, env: dict[str, Any], broker: str, rng: random.Random
) -> dict[str, Any]:
    logs = logs_dir()
    env = {**env, "EMBEDDING_MODEL": target}
    name = f"faults-kill-{n}@{socket.gethostname()}"
    observer = IndexObserver(seed=n)
    observer.start()
    started = time.monotonic()
    worker: CeleryProcess | None = None
    producer: Producer | None = None
    try:
        worker = worker_start(env, name=name, log=logs / f"kill-{n}-worker-1.log", broker=broker)
        producer = Producer(
            prefix=f"kill{n}",
            count=10_000,
            interval=NEW_DOCUMENT_SECONDS,
            env=env,
            log=logs / f"kill-{n}-producer.log",
        )
        _wait(lambda: _state().target_model == target, timeout=60, what="the sweep to start the switch")
        total = _state().target_total
        kill_at = int(total * rng.uniform(0.1, 0.85))
        _wait(lambda: _state().target_done >= kill_at, timeout=120, what=f"{kill_at} chunks re-embedded")
        killed = worker.kill_tree()
        worker = None
        state = _state()
        done_at_kill, total_at_kill = state.target_done, state.target_total
        assert state.active_model == source, "the switch finished before the kill: nothing was tested"
        assert 0 < done_at_kill < total_at_kill
        assert len(killed) >= 3, f"expected the worker and two pool processes, killed {killed}"
        killed_at, killed_wall = time.monotonic(), time.time()
        worker = worker_start(env, name=name, log=logs / f"kill-{n}-worker-2.log", broker=broker)
        _wait(lambda: _state().active_model == target, timeout=300 + total / 20, what="the switch", pause=0.1)
        switched_at, switched_wall = time.monotonic(), time.time()
        produced = producer.finish()
        _wait(lambda: _settled(target), timeout=180, what="every new document to be served", pause=0.2)
        settled_at = time.monotonic()
    finally:
        if producer is not None:
            producer.stop()
        seen = observer.stop()
        if worker is not None:
            worker.stop()
    result = {
        "trial": n,
        "chunks": total_at_kill,
        "killed_at": f"{done_at_kill}/{total_at_kill}",
        "killed_pids": len(killed),
        "seconds_to_kill": round(killed_at - started, 1),
        "seconds_kill_to_switched": round(switched_at - killed_at, 1),
        "seconds_switched_to_settled": round(settled_at - switched_at, 1),
        "models_seen": seen.models,
        "samples": seen.samples,
        "searches": seen.searches,
        "violations": seen.violations,
        "violation_examples": seen.first,
        "new_documents": len(produced),
        "new_documents_kill_to_switched": sum(1 for p in produced if killed_wall <= p["at"] <= switched_wall),
        **_check(target, produced),
    }
    result["ok"] = (
        result["missing"] == result["not_active"] == result["duplicated"] == result["counter_errors"] == 0
        and not result["errors"]
        and not seen.violations
        and seen.models == [source, target]
        and len(produced) > 0
    )
    return result


def test_killing_the_worker_mid_switch_loses_nothing_and_search_switches_once(
    fault_env, fault_redis, tmp_path: Path
):
    chunks, trials = sizes()
    trials = trials or DEFAULT_TRIALS
    rng = random.Random(1729)
    source = tiny_embedder(tmp_path / "model-0", seed=0)
    built = time.monotonic()
    library = library_build(chunks=chunks, model=source)
    build_seconds = time.monotonic() - built
    logs = logs_dir()
    beat = beat_start(fault_env, log=logs / "kill-beat.log", schedule=tmp_path / "beat-schedule")
    results: list[dict[str, Any]] = []
    try:
        for n in range(1, trials + 1):
            target = tiny_embedder(tmp_path / f"model-{n}", seed=n)
            result = _trial(
                n, source=source, target=target, env=fault_env, broker=fault_redis.broker, rng=rng
            )
            results.append(result)
            shutil.rmtree(Path(source).parent, ignore_errors=True)  # no process loads it any more
            source = target
            if not results[-1]["ok"]:
                break
    finally:
        beat.stop()
        summary = {
            "trials": len(results),
            "chunks": library,
            "missing": sum(r["missing"] for r in results),
            "duplicated": sum(r["duplicated"] for r in results),
            "counter_errors": sum(r["counter_errors"] for r in results),
            "failures": sum(1 for r in results if not r["ok"]) + (trials - len(results)),
            "library_build_seconds": round(build_seconds, 1),
            "results": results,
        }
        report_write("kill_worker", summary)
    bad = [r for r in results if not r["ok"]]
    assert not bad, bad
    assert len(results) == trials
