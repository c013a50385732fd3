"""Housekeeping of the benchmark collections in the benchmark database."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from knowledge.models import Chunk, Document, EmbeddingCache


def collection_reset(collection: str) -> None:
    """Delete a benchmark collection with the cached vectors of its chunks, so that its texts are embedded
    again when the collection is made anew."""
    _delete(Document.objects.filter(collection=collection))


def documents_reset(*, source: str) -> None:
    """The same for the documents of one benchmark source (kept in the live collection)."""
    _delete(Document.objects.filter(source=source))


def _delete(documents: QuerySet[Document]) -> None:
    with transaction.atomic():
        hashes = set(Chunk.objects.filter(document__in=documents).values_list("content_hash", flat=True))
        EmbeddingCache.objects.filter(content_hash__in=hashes).delete()
        documents.delete()
