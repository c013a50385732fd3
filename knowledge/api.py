"""The one door into `knowledge` for the rest of Openbook. Plain functions, frozen values."""

from __future__ import annotations

from typing import Any

from .contracts import IngestResult, RetrievalScope, RetrievedChunk
from .selectors import chunks_search

__all__ = ["IngestResult", "RetrievalScope", "RetrievedChunk", "document_upsert", "query_vector", "retrieve"]


def document_upsert(
    *,
    title: str,
    text: str,
    external_id: str,
    source: str,
    metadata: dict[str, Any] | None = None,
    embed_async: bool = True,
) -> IngestResult:
    """Create the document with this source + external id, or give it a new version if its text changed.
    `metadata` uses codes and slugs: kind, status, audience, language, products, plans, organizations, roles,
    valid_from, valid_until. Embedding is queued for the workers unless `embed_async` is false."""
    from .ingest import Record, record_ingest

    return record_ingest(
        Record(title=title, text=text, external_id=external_id, source=source, metadata=dict(metadata or {})),
        embed_async=embed_async,
    )


def query_vector(text: str) -> list[float] | None:
    """The query's embedding with the model search serves, or None when there is nothing to embed."""
    if not text.strip():
        return None
    from . import embedding, services

    return embedding.embed([text], model=services.active_model())[0]


def retrieve(
    query: str,
    *,
    scope: RetrievalScope,
    k: int = 8,
    pool: int = 50,
    max_per_document: int | None = None,
    use_vectors: bool = True,
) -> list[RetrievedChunk]:
    """The passages that best answer `query` among those `scope` may see, best first."""
    vector = query_vector(query) if use_vectors else None
    return chunks_search(
        scope=scope, text=query, vector=vector, k=k, pool=pool, max_per_document=max_per_document
    )
