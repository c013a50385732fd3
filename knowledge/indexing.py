"""The embedding pipeline: which model search serves, queueing a version for the embedding workers, embedding
dirty chunks in claimed batches (reusing cached vectors), activating complete versions, and the sweep that
picks up whatever a lost task left behind."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from support.core.queueing import task_send

from . import embedding
from .chunking import embedding_text
from .keyword_stats import keyword_stats_queue, keyword_stats_stale
from .models import Chunk, Document, DocumentVersion, EmbeddingCache, IndexState, RetrieverRun
from .vector_column import VectorDimensionMismatch, column_dimension, column_resize, hnsw_build, vectors_check

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def model_for_writing() -> str | None:
    """The active model, for a transaction about to give chunks vectors of it; None while a model switch
    is changing over, and then the chunks are left to the workers, who embed them with the new model once
    it is done. The key-share lock taken on the state row (to the end of the transaction) makes the
    switch's final step wait for this transaction, so no chunk gets an old vector after it; this one never
    waits, since that step can take minutes. Progress updates of the row do not conflict with the lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT active_model FROM {IndexState._meta.db_table} WHERE id = 1 "  # noqa: S608
            "FOR KEY SHARE SKIP LOCKED"
        )
        row = cursor.fetchone()
    if row is None and IndexState.objects.filter(pk=1).exists():
        return None
    return row[0] if row and row[0] else active_model()


def active_model() -> str:
    """The model whose vectors search serves: the recorded one, or the configured one on a fresh install."""
    # Read by every search: a plain statement (the ORM's query building cost more than the read).
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT active_model FROM {IndexState._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    active = row[0] if row else None
    if not active:
        IndexState.objects.update_or_create(pk=1, defaults={"active_model": embedding.configured_model()})
        return embedding.configured_model()
    return active


def chosen_model() -> str:
    """The model search should serve: the promoted adapted retriever while EMBEDDING_MODEL is still its
    base, otherwise EMBEDDING_MODEL. The index sweep switches to it when search serves another."""
    setting = embedding.configured_model()
    chosen = IndexState.objects.filter(pk=1).values_list("chosen_model", flat=True).first()
    if (
        chosen
        and RetrieverRun.objects.filter(
            state=RetrieverRun.State.ACTIVE,
            base_model=setting,
            folder=chosen.removeprefix(embedding.RETRIEVER_PREFIX),
        ).exists()
    ):
        return chosen
    return setting


def version_queue(version_id: int) -> None:
    """Hand a version to the embedding workers. A broker that is down loses nothing: the version waits in
    the database, the sweep queues it (`versions_pending`), and the caller's change, already committed, is
    not reported as failed."""
    # By name, as every task this module queues: `tasks` imports this module, not the other way round.
    try:
        task_send(
            "knowledge.embed_version", args=[version_id], queue="embeddings", retry_policy={"max_retries": 1}
        )
    except BrokerError as exc:
        log.warning("could not queue version %s for embedding (%s); the sweep will", version_id, exc)


def version_activate(*, version: DocumentVersion) -> bool:
    """Make `version` the one search serves, if all its chunks are embedded and it is newer than the active
    one. One transaction: search sees the old version or the new one, never a mix."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=version.document_id)
        version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        if version.state == DocumentVersion.State.ACTIVE:
            return False
        if version.chunks.filter(dirty=True).exists():
            return False
        current = document.active_version
        if current is not None and current.number > version.number:
            version.state = DocumentVersion.State.SUPERSEDED
            version.save(update_fields=["state"])
            return False
        if current is not None:
            DocumentVersion.objects.filter(pk=current.pk).update(state=DocumentVersion.State.SUPERSEDED)
        version.state = DocumentVersion.State.ACTIVE
        version.activated_at = timezone.now()
        version.chunks_embedded = version.chunks_total
        version.last_error = ""
        version.save(update_fields=["state", "activated_at", "chunks_embedded", "last_error"])
        document.active_version = version
        document.save(update_fields=["active_version", "updated_at"])
        transaction.on_commit(lambda: keyword_stats_queue(document.collection))
    return True


def chunks_embed_batch(*, version_id: int | None = None, limit: int | None = None) -> int:
    """Embed one batch of dirty chunks (of one version first, or of any). Returns how many got a vector.

    The batch is claimed with SKIP LOCKED and written in the same transaction, so workers never embed the
    same chunk at once, and a worker killed mid-batch leaves its chunks dirty for the next run.
    """
    return sum(_embed_batch(version_id=version_id, size=limit or settings.EMBEDDING_CLAIM_SIZE).values())


def column_fit(*, model: str, dimension: int) -> bool:
    """Retype the chunks' vector column to `dimension` if `model` is the active one and no chunk has a
    vector yet: a fresh install configured with a model of another size than the 384 the migrations create.
    Returns whether the column now fits. A library that has vectors changes size through a model switch."""
    with transaction.atomic():
        # The lock a switch's final step takes: one of them at a time, and no chunk gets a vector meanwhile.
        state = IndexState.objects.select_for_update().filter(pk=1).values_list("active_model", flat=True)
        if state.first() != model:
            return False
        with connection.cursor() as cursor:
            if column_dimension(cursor) == dimension:
                return True  # fitted by another worker meanwhile
            if Chunk.objects.filter(embedding__isnull=False).exists():
                return False
            cursor.execute("SET LOCAL statement_timeout = 0")
            column_resize(cursor, dimension)
            hnsw_build(cursor)
    log.info("the chunks' vector column now holds %s dimensions, for %s", dimension, model)
    return True


def _fitting_column(embed: Callable[[], dict[int, int]]) -> dict[int, int]:
    """Run `embed`; if its vectors do not fit a column that holds no vector yet, fit the column and run it
    again. Any other mismatch is raised: vectors are never written into a column of another size."""
    try:
        return embed()
    except VectorDimensionMismatch as exc:
        if not column_fit(model=exc.model, dimension=exc.dimension):
            raise
    return embed()


def _embed_batch(*, version_id: int | None, size: int) -> dict[int, int]:
    return _fitting_column(lambda: _embed_batch_once(version_id=version_id, size=size))


def _embed_batch_once(*, version_id: int | None, size: int) -> dict[int, int]:
    """Claim and embed up to `size` dirty chunks: those of `version_id` first, topped up with other versions'
    dirty chunks (oldest first). Nothing is claimed when `version_id` has no dirty chunk left to claim.
    Returns how many chunks of each version got a vector.

    Topping up matters: many documents are a few chunks long (an FAQ entry is one), and the model encodes
    a handful of texts at about half the rate of a few hundred, which it sorts by length into full batches.
    """
    with transaction.atomic():
        # First the state row, then chunks: the order a switch's final step takes them in, so no deadlock.
        model = model_for_writing()
        if model is None:
            return {}  # a switch is changing over: the sweep queues this version again afterwards
        dirty = Chunk.objects.select_for_update(skip_locked=True).filter(dirty=True).order_by("id")
        if version_id is None:
            ids = list(dirty.values_list("id", flat=True)[:size])
        else:
            ids = list(dirty.filter(version_id=version_id).values_list("id", flat=True)[:size])
            if ids and len(ids) < size:
                others = dirty.exclude(version_id=version_id).values_list("id", flat=True)
                ids += list(others[: size - len(ids)])
        if not ids:
            return {}
        return _embed_claimed(Chunk.objects.filter(id__in=ids), model=model)


def chunks_embed_ids(*, ids: Sequence[int], model: str | None = None) -> int:
    """Embed the given chunks if still dirty (claimed the same way as `chunks_embed_batch`), with the active
    model, or with `model` (for evaluation collections only: the live library follows the active model)."""

    def embed() -> dict[int, int]:
        with transaction.atomic():
            chosen = model or model_for_writing()
            if chosen is None:
                return {}
            claimed = Chunk.objects.select_for_update(skip_locked=True).filter(id__in=ids, dirty=True)
            return _embed_claimed(claimed, model=chosen)

    return sum(_fitting_column(embed).values())


def _embed_claimed(claimed: Any, *, model: str) -> dict[int, int]:
    """Give claimed chunks a vector: from the cache when the same text was embedded before with `model` (the
    active one), otherwise by embedding it now (and caching the result). Returns the chunks done per
    version. Vectors of another size than the column's raise VectorDimensionMismatch before anything is
    written."""
    batch = list(claimed.only("id", "version_id", "content_hash", "title", "heading_path", "text"))
    if not batch:
        return {}
    hashes = {c.content_hash for c in batch}
    vectors = dict(
        EmbeddingCache.objects.filter(model=model, content_hash__in=hashes).values_list(
            "content_hash", "embedding"
        )
    )
    missing: dict[str, str] = {}
    for chunk in batch:
        if chunk.content_hash not in vectors and chunk.content_hash not in missing:
            missing[chunk.content_hash] = embedding_text(chunk.title, chunk.heading_path, chunk.text)
    fresh: dict[str, list[float]] = {}
    if missing:
        fresh = dict(zip(missing.keys(), embedding.embed(list(missing.values()), model=model), strict=True))
    vectors_check([*vectors.values(), *fresh.values()], column=column_dimension(), model=model)
    if fresh:
        EmbeddingCache.objects.bulk_create(
            [EmbeddingCache(content_hash=h, model=model, embedding=v) for h, v in fresh.items()],
            ignore_conflicts=True,
        )
        vectors.update(fresh)
    # One statement over two arrays: Django's bulk_update would send a CASE with a branch per chunk.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE knowledge_chunk AS c SET embedding = v.embedding::vector, embedding_model = %s, "
            "dirty = false FROM unnest(%s::int[], %s::text[]) AS v(id, embedding) WHERE c.id = v.id",
            [
                model,
                [chunk.id for chunk in batch],
                [embedding.vector_literal(vectors[chunk.content_hash]) for chunk in batch],
            ],
        )
    per_version: dict[int, int] = {}
    for chunk in batch:
        per_version[chunk.version_id] = per_version.get(chunk.version_id, 0) + 1
    for version_id, count in per_version.items():
        DocumentVersion.objects.filter(pk=version_id).update(
            chunks_embedded=F("chunks_embedded") + count, state=DocumentVersion.State.EMBEDDING, last_error=""
        )
    return per_version


def version_embed(*, version_id: int, progress: Progress | None = None) -> bool:
    """Embed every dirty chunk of a version, then activate it. Safe to run twice or concurrently.

    Batches are topped up with other versions' dirty chunks, and those versions are activated here too once
    complete (their own task may have run, found their chunks claimed, and left them inactive)."""
    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None:
        return False
    others: set[int] = set()
    while True:
        done = _embed_batch(version_id=version_id, size=settings.EMBEDDING_CLAIM_SIZE)
        if not done.get(version_id):
            break
        others.update(done.keys() - {version_id})
        if progress:
            version.refresh_from_db(fields=["chunks_embedded", "chunks_total"])
            progress(version.chunks_embedded, version.chunks_total)
    activated = version_activate(version=version)
    for other in DocumentVersion.objects.filter(pk__in=others).exclude(state=DocumentVersion.State.ACTIVE):
        version_activate(version=other)
    return activated


def version_fail(*, version_id: int, error: str) -> None:
    DocumentVersion.objects.filter(pk=version_id).exclude(state=DocumentVersion.State.ACTIVE).update(
        state=DocumentVersion.State.FAILED, last_error=error[:2000]
    )


def versions_pending() -> list[int]:
    """Versions with chunks still to embed, or complete but not yet activated (the sweep's work list)."""
    dirty = Chunk.objects.filter(dirty=True).values_list("version_id", flat=True).distinct()
    complete = (
        DocumentVersion.objects.filter(
            state__in=[
                DocumentVersion.State.QUEUED,
                DocumentVersion.State.EMBEDDING,
                DocumentVersion.State.FAILED,
            ]
        )
        .exclude(chunks__dirty=True)
        .values_list("id", flat=True)
    )
    return sorted(set(dirty) | set(complete))


def index_sweep(*, limit: int = 200) -> int:
    """Queue every version that still has dirty chunks or awaits activation (at most `limit`), and a recount
    of stale keyword statistics; or, when the chosen embedding model (`chosen_model`: the setting, or the
    adapted retriever promoted over it) differs from the one search serves, only a model switch. Returns how
    many versions were queued."""
    configured = chosen_model()
    if active_model() != configured:
        task_send("knowledge.switch_embedding_model", args=[configured], queue="embeddings")
        return 0
    pending = versions_pending()[:limit]
    for version_id in pending:
        task_send("knowledge.embed_version", args=[version_id], queue="embeddings")
    for collection in keyword_stats_stale():
        keyword_stats_queue(collection)
    return len(pending)
