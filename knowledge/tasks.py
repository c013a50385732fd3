"""Indexing work on the `embeddings` queue. Thin: load, call one service, record the outcome. Each task is
named after the service it runs; the `name=` strings are what producers and the beat schedule send."""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import shared_task, signals
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from . import indexing, keyword_stats, languages, model_switch, query_embedding, retrievers

log = logging.getLogger(__name__)


def _warm_up_languages(**_: Any) -> None:
    # Searches (drafts run them here) detect their query's language: load the detector at start, in a
    # thread, not on the first search.
    threading.Thread(target=languages.warm_up, name="languages-warm-up", daemon=True).start()


signals.worker_process_init.connect(_warm_up_languages, weak=False)


@shared_task(
    name="knowledge.embed_version",
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    max_retries=5,
    acks_late=True,
)
def version_embed(version_id: int) -> None:
    """Embed a version's dirty chunks and activate it. A missing version is fine (it was deleted)."""
    try:
        indexing.version_embed(version_id=version_id)
    except SoftTimeLimitExceeded:
        # Work done so far is committed batch by batch; the sweep queues the rest.
        log.warning("embedding version %s hit the time limit; the sweep will continue it", version_id)
    except OperationalError:
        raise
    except Exception as exc:
        indexing.version_fail(version_id=version_id, error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="knowledge.sweep", acks_late=True)
def index_sweep(limit: int = 200) -> int:
    """Queue every version that still has dirty chunks or awaits activation; start a model switch when the
    configured embedding model differs from the one search serves."""
    return indexing.index_sweep(limit=limit)


@shared_task(name="knowledge.keyword_stats_refresh", acks_late=True)
def keyword_stats_refresh(collection: str) -> int:
    """Recount the collection's keyword statistics (document frequencies for BM25)."""
    return keyword_stats.keyword_stats_refresh(collection=collection)


@shared_task(
    name="knowledge.switch_embedding_model",
    acks_late=True,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 60,
)
def embedding_model_switch(model: str) -> int:
    """Re-embed everything into `model`, then switch search over to it (see `model_switch`)."""
    return model_switch.embedding_model_switch(model=model)


# Acknowledged on receipt, unlike the indexing tasks: a query whose worker died is not worth running again
# later, since its caller gives up after QUERY_EMBEDDING_TIMEOUT seconds (the task also expires by then).
@shared_task(name="knowledge.embed_query", acks_late=False, soft_time_limit=30, time_limit=60)
def query_embed_and_reply(text: str, model: str, reply_to: str) -> None:
    """Embed a search query with `model` for a caller blocked on the Redis list `reply_to`, and cache it."""
    query_embedding.query_embed_and_reply(text=text, model=model, reply_to=reply_to)


@shared_task(
    name="knowledge.retriever_adapt", acks_late=True, soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60
)
def retriever_adapt(run_id: int) -> str:
    """Adapt the retriever on the relevance pairs (a queued run; `training` queue), then judge it."""
    return retrievers.retriever_adapt(run_id=run_id).state
