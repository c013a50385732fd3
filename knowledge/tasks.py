"""Indexing work on the `embeddings` queue. Thin: load, call one service, record the outcome."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from . import embedding, query_embedding, services

log = logging.getLogger(__name__)


@shared_task(
    name="knowledge.embed_version",
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    max_retries=5,
    acks_late=True,
)
def embed_version(version_id: int) -> None:
    """Embed a version's dirty chunks and activate it. A missing version is fine (it was deleted)."""
    try:
        services.version_embed(version_id=version_id)
    except SoftTimeLimitExceeded:
        # Work done so far is committed batch by batch; the sweep queues the rest.
        log.warning("embedding version %s hit the time limit; the sweep will continue it", version_id)
    except OperationalError:
        raise
    except Exception as exc:
        services.version_fail(version_id=version_id, error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="knowledge.sweep", acks_late=True)
def sweep(limit: int = 200) -> int:
    """Queue every version that still has dirty chunks or awaits activation; start a model switch when the
    configured embedding model differs from the one search serves."""
    configured = embedding.configured_model()
    if services.active_model() != configured:
        switch_embedding_model.apply_async(args=[configured], queue="embeddings")
        return 0
    pending = services.versions_pending()[:limit]
    for version_id in pending:
        embed_version.apply_async(args=[version_id], queue="embeddings")
    for collection in services.keyword_stats_stale():
        services.keyword_stats_queue(collection)
    return len(pending)


@shared_task(name="knowledge.keyword_stats_refresh", acks_late=True)
def keyword_stats_refresh(collection: str) -> int:
    """Recount the collection's keyword statistics (document frequencies for BM25)."""
    return services.keyword_stats_refresh(collection=collection)


@shared_task(
    name="knowledge.switch_embedding_model",
    acks_late=True,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 60,
)
def switch_embedding_model(model: str) -> int:
    return services.embedding_model_switch(model=model)


# Acknowledged on receipt, unlike the indexing tasks: a query whose worker died is not worth running again
# later, since its caller gives up after QUERY_EMBEDDING_TIMEOUT seconds (the task also expires by then).
@shared_task(name="knowledge.embed_query", acks_late=False, soft_time_limit=30, time_limit=60)
def embed_query(text: str, model: str, reply_to: str) -> None:
    """Embed a search query with `model` for a caller blocked on the Redis list `reply_to`, and cache it."""
    query_embedding.query_embed_and_reply(text=text, model=model, reply_to=reply_to)
