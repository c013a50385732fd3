"""The one door into `knowledge` for the rest of Openbook. Plain functions, frozen values."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from support.core import metrics

from . import query
from .contracts import IngestResult, Retrieval, RetrievalScope, RetrievedChunk, VectorSearch
from .models import EMBEDDING_DIM
from .query import ConversationQuery, Turn
from .query_embedding import QueryEmbeddingUnavailable, local_query_embedding
from .safety.instructions import THRESHOLD as INSTRUCTION_THRESHOLD
from .safety.instructions import InstructionFinding, instruction_findings, instruction_scores
from .selectors import chunks_search, title_index

__all__ = [
    "EMBEDDING_DIM",
    "INSTRUCTION_THRESHOLD",
    "ConversationQuery",
    "IngestResult",
    "InstructionFinding",
    "QueryEmbeddingUnavailable",
    "Retrieval",
    "RetrievalScope",
    "RetrievedChunk",
    "Turn",
    "VectorSearch",
    "conversation_query",
    "conversation_text",
    "document_upsert",
    "embedding_model",
    "indexing_pending",
    "instruction_scores",
    "local_query_embedding",
    "planted_instructions",
    "query_vector",
    "query_vector_prepare",
    "retrieve",
    "retrieve_with_status",
    "text_vectors",
]

log = logging.getLogger(__name__)


def conversation_text(turns: Sequence[Turn], *, scenario: str = "") -> str:
    """The search text for a conversation (its latest turns, up to the newest customer turn): the `text` of
    `conversation_query`, which needs no scope."""
    return query.conversation_query(turns, scenario)


def conversation_query(
    turns: Sequence[Turn], *, scope: RetrievalScope, scenario: str = ""
) -> ConversationQuery:
    """What to search for, for a conversation: the text of its latest turns, and the documents it names
    (their titles), which `retrieve(..., focus_titles=...)` puts first."""
    text = conversation_text(turns, scenario=scenario)
    focus = query.conversation_focus(turns, title_index(scope.collection))
    return ConversationQuery(text=text, focus_titles=focus)


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


def indexing_pending(*, collection: str = "live") -> int:
    """How many document versions of the collection are still waiting to be embedded (queued or embedding):
    work that wants retrieval over the whole library can wait for zero."""
    from .models import DocumentVersion

    waiting = (DocumentVersion.State.QUEUED, DocumentVersion.State.EMBEDDING)
    return DocumentVersion.objects.filter(document__collection=collection, state__in=waiting).count()


def query_vector(text: str) -> list[float] | None:
    """The query's embedding with the model search serves, or None when there is nothing to embed.

    Celery worker processes, code inside `local_query_embedding()` and every process when
    `QUERY_EMBEDDING=local` embed in-process; anywhere else (the web) an embedding worker does, and
    QueryEmbeddingUnavailable is raised when none answers within `QUERY_EMBEDDING_TIMEOUT` seconds."""
    if not text.strip():
        return None
    from . import query_embedding, services

    return query_embedding.query_embed(text=text, model=services.active_model())


def query_vector_prepare(text: str, *, keep_seconds: int) -> bool:
    """Embed `text` now and keep its vector cached for `keep_seconds`, so a later search for exactly this
    text needs no embedding. Only for processes that hold the model (workers); False when there was
    nothing to embed."""
    if not text.strip() or keep_seconds <= 0:
        return False
    from . import query_embedding, services

    query_embedding.query_embed_cached(text=text, model=services.active_model(), keep_seconds=keep_seconds)
    return True


def retrieve_with_status(
    query: str,
    *,
    scope: RetrievalScope,
    k: int = 8,
    pool: int = 50,
    max_per_document: int | None = None,
    use_vectors: bool = True,
    focus_titles: Sequence[str] = (),
    vector: Sequence[float] | None = None,
) -> Retrieval:
    """The passages that best answer `query` among those `scope` may see, best first, and whether vector
    search took part. When the query cannot be embedded in time the passages are ranked by keywords alone.
    `vector` is the query's vector when the caller has it already (from an earlier `Retrieval`)."""
    started = time.perf_counter()
    status: VectorSearch = "off"
    notice = ""
    if vector is not None:
        status = "used"
    elif use_vectors:
        try:
            vector = query_vector(query)
        except QueryEmbeddingUnavailable as exc:
            log.warning("search falls back to keywords only: %s", exc)
            status = "unavailable"
            notice = f"{exc} Results are ranked by keyword match only."
        else:
            status = "used" if vector is not None else "off"
    chunks = chunks_search(
        scope=scope,
        text=query,
        vector=vector,
        k=k,
        pool=pool,
        max_per_document=max_per_document,
        focus_titles=focus_titles,
    )
    metrics.retrieval_observed(vector_search=status, seconds=time.perf_counter() - started)
    return Retrieval(
        chunks=tuple(chunks),
        vector_search=status,
        notice=notice,
        vector=tuple(vector) if vector is not None else None,
    )


def retrieve(
    query: str,
    *,
    scope: RetrievalScope,
    k: int = 8,
    pool: int = 50,
    max_per_document: int | None = None,
    use_vectors: bool = True,
    focus_titles: Sequence[str] = (),
) -> list[RetrievedChunk]:
    """The passages that best answer `query` among those `scope` may see, best first (by keywords only
    when the query cannot be embedded in time; `retrieve_with_status` says when that happened)."""
    return list(
        retrieve_with_status(
            query,
            scope=scope,
            k=k,
            pool=pool,
            max_per_document=max_per_document,
            use_vectors=use_vectors,
            focus_titles=focus_titles,
        ).chunks
    )


def embedding_model() -> str:
    """The name of the embedding model whose vectors search serves now."""
    from .services import active_model

    return active_model()


def text_vectors(texts: Sequence[str]) -> tuple[str, list[list[float]]]:
    """The active embedding model's name and unit vectors for `texts`, computed in this process. It loads
    the model, so only workers call it (the web process embeds single queries with `query_vector`)."""
    from . import embedding, services

    model = services.active_model()
    return model, embedding.embed(list(texts), model=model)


def planted_instructions(text: str) -> tuple[InstructionFinding, ...]:
    """The sentences of `text` written to a language model rather than to a reader (addressing an
    assistant, posing as system instructions, asking to reveal prompts or other customers' data), with
    their offsets, scores and the reason in words. See `knowledge.safety.instructions`."""
    return tuple(instruction_findings(text))
