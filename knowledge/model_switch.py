"""Switching the embedding model: every text re-embedded into the new model while search keeps serving the
current vectors, then all chunks switched over in one transaction, which also retypes the chunks' vector
column (and rebuilds its HNSW index) when the new model's vectors have another size."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q

from . import embedding
from .chunking import embedding_text
from .indexing import Progress, active_model
from .models import Chunk, EmbeddingCache, IndexState
from .vector_column import column_dimension, column_resize, hnsw_build

log = logging.getLogger(__name__)


SWITCH_LOCK = "knowledge:embedding-model-switch"


@contextlib.contextmanager
def _session_lock(name: str) -> Iterator[bool]:
    """Try to take a Postgres advisory lock for this connection's session; yields whether it was taken. A
    worker that dies holding it loses its connection, and the lock with it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [name])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])


def embedding_model_switch(
    *, model: str, progress: Progress | None = None, batch_size: int | None = None
) -> int:
    """Re-embed every chunk of every version into `model` while search keeps serving the current vectors,
    then switch all of them in one transaction. Returns how many texts were embedded.

    One switch works at a time: the sweep queues one every minute while a switch runs, and the task of a
    worker that was killed comes back later; those find the switch claimed and return 0. A switch that
    was killed resumes from the vectors it had already stored."""
    with _session_lock(SWITCH_LOCK) as claimed:
        if not claimed:
            log.info("an embedding model switch is running already; %s will be done by it", model)
            return 0
        return _model_switch(model=model, progress=progress, batch_size=batch_size)


# Rounds of re-embedding what arrived during the previous round before the final step embeds the rest while
# it holds the index state (and so briefly keeps new versions waiting).
SWITCH_CATCH_UP_ROUNDS = 5


def _hashes_without_vector(model: str) -> list[str]:
    """Texts of any chunk that have no vector for `model` yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT c.content_hash FROM knowledge_chunk AS c
            WHERE NOT EXISTS (
                SELECT 1 FROM knowledge_embeddingcache AS e
                WHERE e.content_hash = c.content_hash AND e.model = %s
            )
            ORDER BY 1
            """,
            [model],
        )
        return [row[0] for row in cursor.fetchall()]


def _switch_embed(*, model: str, hashes: list[str], batch_size: int, progress: Progress | None) -> int:
    """Embed the texts of `hashes` with `model` into the cache, batch by batch, counting progress."""
    embedded = 0
    for start in range(0, len(hashes), batch_size):
        part = hashes[start : start + batch_size]
        texts = {}
        for chunk in (
            Chunk.objects.filter(content_hash__in=part).distinct("content_hash").order_by("content_hash")
        ):
            texts[chunk.content_hash] = embedding_text(chunk.title, chunk.heading_path, chunk.text)
        vectors = embedding.embed(list(texts.values()), model=model)
        # The vectors and the progress they make commit together, so a kill leaves the count exact. Texts
        # whose chunks were deleted meanwhile leave the total.
        with transaction.atomic():
            EmbeddingCache.objects.bulk_create(
                [
                    EmbeddingCache(content_hash=h, model=model, embedding=v)
                    for h, v in zip(texts, vectors, strict=True)
                ],
                ignore_conflicts=True,
            )
            IndexState.objects.filter(pk=1).update(
                target_done=F("target_done") + len(texts),
                target_total=F("target_total") - (len(part) - len(texts)),
            )
        embedded += len(texts)
        if progress:
            state = IndexState.objects.get(pk=1)
            progress(state.target_done, state.target_total)
    return embedded


def _switch_dimension(cursor: Any, model: str) -> int:
    """The size of `model`'s vectors: that of the ones about to be copied into the chunks (any other size in
    the cache would fail the copy, never be stored), or the model's own word on an empty library."""
    cursor.execute(
        "SELECT vector_dims(embedding) FROM knowledge_embeddingcache WHERE model = %s LIMIT 1", [model]
    )
    row = cursor.fetchone()
    return int(row[0]) if row else embedding.dimension(model)


def _switch_add(hashes: list[str]) -> None:
    IndexState.objects.filter(pk=1).update(target_total=F("target_total") + len(hashes))


def _model_switch(*, model: str, progress: Progress | None, batch_size: int | None) -> int:
    batch_size = batch_size or settings.EMBEDDING_BATCH_SIZE
    IndexState.objects.get_or_create(pk=1, defaults={"active_model": active_model()})
    total = Chunk.objects.values("content_hash").distinct().count()
    todo = _hashes_without_vector(model)
    IndexState.objects.filter(pk=1).update(
        target_model=model, target_total=total, target_done=total - len(todo)
    )
    embedded = 0
    # Versions stored meanwhile are embedded with the model search still serves: each round re-embeds
    # what arrived during the one before.
    for _ in range(SWITCH_CATCH_UP_ROUNDS):
        if not todo:
            break
        embedded += _switch_embed(model=model, hashes=todo, batch_size=batch_size, progress=progress)
        todo = _hashes_without_vector(model)
        _switch_add(todo)
    with transaction.atomic():
        # Every transaction that gives chunks vectors holds a key-share lock on this row (model_for_writing):
        # once this lock is granted, none is under way, and the ones that start meanwhile give none. So
        # what still has no vector here is all there is, and nothing is stamped with the old model after.
        IndexState.objects.select_for_update().get(pk=1)
        with connection.cursor() as cursor:
            # This step rewrites every chunk and its index entries: minutes for a large library, far past
            # the statement timeout (which would roll it back, again at every sweep). The task's time
            # limit bounds it instead.
            cursor.execute("SET LOCAL statement_timeout = 0")
        rest = _hashes_without_vector(model)
        if rest:
            _switch_add(rest)
            embedded += _switch_embed(model=model, hashes=rest, batch_size=batch_size, progress=progress)
        with connection.cursor() as cursor:
            dimension = _switch_dimension(cursor, model)
            resized = dimension != column_dimension(cursor)
            if resized:
                # Search waits from here to the commit: the old vectors cannot stay in a column of the new
                # size. The index is built once over the new vectors, faster than growing it row by row.
                log.info("the chunks' vector column changes to %s dimensions for %s", dimension, model)
                column_resize(cursor, dimension)
            cursor.execute(
                """
                UPDATE knowledge_chunk AS c
                SET embedding = e.embedding, embedding_model = e.model, dirty = false
                FROM knowledge_embeddingcache AS e
                WHERE e.content_hash = c.content_hash AND e.model = %s
                """,
                [model],
            )
            if resized:
                hnsw_build(cursor)
        Chunk.objects.filter(~Q(embedding_model=model)).update(dirty=True)
        IndexState.objects.filter(pk=1).update(
            active_model=model, target_model="", target_done=0, target_total=0
        )
    return embedded
