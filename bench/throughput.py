"""Re-embedding throughput: the bare model against the whole path through Celery, on the same texts.

Handbook-like documents are made from dataset passages and stored with their chunks dirty. The bare figure
is the embedding model over every distinct chunk text in this process. The Celery figure is the same texts
through `knowledge.embed_version` on the `embeddings` queue of a real worker process (its model warmed up
first), timed from queueing the versions until every one is active: claiming, the cache, the writes, the
commits and the activation included. The two take turns over a few rounds of texts, so that a change in
the machine's load (it may be shared) falls on both alike; the figures are totals over every round.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from knowledge import api as knowledge

from . import corpus
from .report import Row, Target, progress_bar, say
from .worker import celery_worker

# The documents go into the live collection (marked by their source), so their chunks enter the live HNSW
# index as a real library's would: that index's upkeep is part of what is timed.
SOURCE = "bench-throughput"
WARMUP_SOURCE = "bench-warmup"
SECTIONS_PER_DOCUMENT = 8
RATIO_TARGET = 0.85
ROUNDS = 4
ROWS = ("throughput bare model", "throughput Celery embed_version", "throughput Celery / bare")


def run(datasets: Path, *, texts: int = 2000, concurrency: int = 1) -> list[Row]:
    handbooks = _handbooks(corpus.paragraphs(corpus.passages(datasets), min_tokens=50, max_tokens=150))
    knowledge.documents_delete(source=SOURCE)
    knowledge.text_vectors(["warm the model up"])
    versions: list[int] = []
    bare_seconds = celery_seconds = 0.0
    total = 0
    with (
        celery_worker(queues=("embeddings",), concurrency=concurrency),
        progress_bar("bare model and Celery, in turns", unit="text", total=2 * texts) as progress,
    ):
        _worker_warm_up()
        while total < texts:
            # Each round's documents are made just before it: no other dirty chunk is there to top batches up.
            part = _documents_create(handbooks, -(-texts // ROUNDS))
            pending = knowledge.chunk_texts_waiting(part)
            started = time.perf_counter()
            knowledge.text_vectors(pending)
            bare = time.perf_counter() - started
            progress(2 * total + len(pending), 2 * texts)
            started = time.perf_counter()
            for version_id in part:
                _queue(version_id)
            _wait_active(part, timeout=max(600.0, 20 * bare))
            celery = time.perf_counter() - started
            say(
                f"\nthroughput: {len(pending)} texts in {len(part)} versions: bare {len(pending) / bare:.1f} "
                f"texts/s, Celery {len(pending) / celery:.1f} texts/s"
            )
            versions += part
            total += len(pending)
            bare_seconds += bare
            celery_seconds += celery
            progress(2 * total, 2 * max(texts, total))
    _check_embedded_once(versions, total)
    return [
        Row(ROWS[0], total / bare_seconds, "texts/s"),
        Row(ROWS[1], total / celery_seconds, "texts/s"),
        Row(ROWS[2], bare_seconds / celery_seconds, "%", Target(">=", RATIO_TARGET)),
    ]


def _queue(version_id: int) -> None:
    """Queue a version exactly as storing one does after its commit."""
    knowledge.version_queue(version_id)


def _handbooks(pool: list[corpus.Passage]) -> Iterator[tuple[str, str]]:
    """(title, Markdown) of handbook-like documents: headed sections of one to three paragraphs. Titles are
    numbered, so no chunk text (which includes the title) is shared with any other document."""
    position = 0
    for number in range(1, 1_000_000):
        title = f"{pool[position % len(pool)].title.title()}: handbook {number}"
        sections = []
        for section in range(SECTIONS_PER_DOCUMENT):
            count = 1 + (number + section) % 3
            body = [pool[(position + i) % len(pool)].text for i in range(count)]
            heading = pool[position % len(pool)].title.capitalize()
            sections.append(f"## {heading}\n\n" + "\n\n".join(body))
            position += count
        yield title, f"# {title}\n\n" + "\n\n".join(sections)


def _documents_create(handbooks: Iterator[tuple[str, str]], chunks: int) -> list[int]:
    """Store handbooks (chunked, not embedded) until they hold at least `chunks` chunks; their versions."""
    versions: list[int] = []
    made = 0
    for title, text in handbooks:
        version = _stored(title, text, source=SOURCE)
        versions.append(version)
        [status] = knowledge.versions_status([version])
        made += status.chunks_total
        if made >= chunks:
            break
    return versions


def _stored(title: str, text: str, *, source: str) -> int:
    """A new published document, chunked but not embedded; its version."""
    result = knowledge.document_upsert(
        title=title,
        text=text,
        external_id="",
        source=source,
        metadata={"status": "published"},
        embed_async=False,
    )
    if result.version_id is None:
        raise RuntimeError(f"{title!r} could not be stored: {result.error}")
    return result.version_id


def _worker_warm_up() -> None:
    """One new text through the worker, so its first timed task does not load the model."""
    knowledge.documents_delete(source=WARMUP_SOURCE)
    version = _stored(
        "Warm-up", f"# Warm-up\n\nA sentence nobody wrote before: {uuid.uuid4()}.", source=WARMUP_SOURCE
    )
    _queue(version)
    _wait_active([version], timeout=180)
    knowledge.documents_delete(source=WARMUP_SOURCE)


def _wait_active(versions: list[int], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states = knowledge.versions_status(versions)
        failed = [status for status in states if status.state == "failed"]
        if failed:
            raise RuntimeError(f"embedding failed in the worker: {failed[0].last_error}")
        if sum(status.state == "active" for status in states) == len(versions):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"versions not active after {timeout:.0f} s; see var/bench-worker.log")
        time.sleep(0.1)


def _check_embedded_once(versions: list[int], texts: int) -> None:
    """Every chunk has a vector, and each distinct text went into the cache once."""
    if knowledge.chunk_texts_waiting(versions):
        raise RuntimeError("some chunks are still dirty after every version was activated")
    cached = knowledge.embedding_cache_size(version_ids=versions)
    if cached != texts:
        raise RuntimeError(f"{cached} cached vectors for {texts} distinct texts")
