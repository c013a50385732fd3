"""Housekeeping of the benchmark collections in the benchmark database."""

from __future__ import annotations

from django.db import transaction

from knowledge.models import Chunk, Document, EmbeddingCache


def collection_reset(collection: str) -> None:
    """Delete a benchmark collection with the cached vectors of its chunks, so that its texts are embedded
    again when the collection is made anew."""
    with transaction.atomic():
        hashes = set(
            Chunk.objects.filter(document__collection=collection).values_list("content_hash", flat=True)
        )
        EmbeddingCache.objects.filter(content_hash__in=hashes).delete()
        Document.objects.filter(collection=collection).delete()
