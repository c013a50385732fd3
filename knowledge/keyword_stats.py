"""Keyword statistics for BM25: per collection, how many searchable chunks hold each lexeme and their mean
length; recounted after versions go live (debounced through the workers) and by the sweep when stale."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from support.core.queueing import task_send

from .models import DocumentVersion, KeywordCorpus

log = logging.getLogger(__name__)


KEYWORD_STATS_DEBOUNCE_SECONDS = 5


def keyword_stats_refresh(*, collection: str) -> int:
    """Recount, for BM25, how many of the collection's searchable chunks hold each lexeme and their mean
    length. One transaction, so search reads the old figures or the new ones. Returns the chunk count."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"keyword-stats:{collection}"])
        cursor.execute(
            """
            SELECT count(*), coalesce(avg(length(c.search_vector)), 0)
            FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
            WHERE d.collection = %s AND c.version_id = d.active_version_id
            """,
            [collection],
        )
        chunks, mean_length = cursor.fetchone()
        cursor.execute("DELETE FROM knowledge_keywordstat WHERE collection = %s", [collection])
        cursor.execute(
            """
            INSERT INTO knowledge_keywordstat (collection, lexeme, df)
            SELECT %s, word, ndoc FROM ts_stat(format(
                'SELECT c.search_vector FROM knowledge_chunk c JOIN knowledge_document d '
                'ON d.id = c.document_id WHERE d.collection = %%L AND c.version_id = d.active_version_id',
                %s::text))
            """,
            [collection, collection],
        )
        KeywordCorpus.objects.update_or_create(
            collection=collection,
            defaults={"chunks": chunks, "mean_length": float(mean_length), "refreshed_at": timezone.now()},
        )
    return int(chunks)


def keyword_stats_queue(collection: str) -> None:
    """Ask a worker to recount the collection's keyword statistics soon; activations that land within a few
    seconds of each other share one recount (the sweep catches anything that slips through)."""
    # Called once a version is live: with Redis down, the statistics stay stale until the sweep finds them
    # so (`keyword_stats_stale`), and the activation is not reported as failed.
    try:
        if cache.add(f"knowledge:keyword-stats:{collection}", 1, timeout=KEYWORD_STATS_DEBOUNCE_SECONDS):
            task_send(
                "knowledge.keyword_stats_refresh",
                args=[collection],
                queue="embeddings",
                countdown=KEYWORD_STATS_DEBOUNCE_SECONDS,
                retry_policy={"max_retries": 1},
            )
    except (BrokerError, RedisError) as exc:
        log.warning(
            "could not queue a keyword statistics recount for %s (%s); the sweep will", collection, exc
        )


def keyword_stats_stale() -> list[str]:
    """Collections whose keyword statistics predate their latest activation (or that have none)."""
    latest = (
        DocumentVersion.objects.filter(state=DocumentVersion.State.ACTIVE)
        .values("document__collection")
        .annotate(last=Max("activated_at"))
    )
    refreshed = dict(KeywordCorpus.objects.values_list("collection", "refreshed_at"))
    stale = []
    for row in latest:
        collection, last = row["document__collection"], row["last"]
        seen = refreshed.get(collection)
        if seen is None or (last is not None and last > seen):
            stale.append(collection)
    return sorted(stale)
