"""The one door into `knowledge` for the rest of Openbook. Plain functions, frozen values."""

from __future__ import annotations

import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from support.core import metrics
from support.core.errors import DomainError

from . import bulk, embedding, evaluation, indexing, query, query_embedding, relevance, retrievers
from .chunking import approx_token_count, chunk_document, embedding_text
from .contracts import (
    IngestResult,
    LibraryChunk,
    LibraryDocument,
    Progress,
    RelevancePairInput,
    Retrieval,
    RetrievalScope,
    RetrievedChunk,
    StageProgress,
    VectorSearch,
    VersionStatus,
)
from .models import LIVE, Chunk, Document, DocumentVersion, EmbeddingCache, RetrieverRun
from .query import ConversationQuery, Turn
from .query_embedding import QueryEmbeddingUnavailable, local_query_embedding
from .retrieval import chunks_search, conversation_search
from .safety.instructions import THRESHOLD as INSTRUCTION_THRESHOLD
from .safety.instructions import InstructionFinding, instruction_findings, instruction_scores
from .selectors import documents_naming
from .services import chunking_config
from .vector_column import VectorDimensionMismatch
from .visibility import searchable_chunks

__all__ = [
    "INSTRUCTION_THRESHOLD",
    "ConversationQuery",
    "IngestResult",
    "InstructionFinding",
    "LibraryChunk",
    "LibraryDocument",
    "Progress",
    "QueryEmbeddingUnavailable",
    "RelevancePairInput",
    "Retrieval",
    "RetrievalScope",
    "RetrievedChunk",
    "RetrieverRun",
    "StageProgress",
    "Turn",
    "VectorSearch",
    "VersionStatus",
    "approx_token_count",
    "chunk_count",
    "chunk_texts",
    "chunk_texts_waiting",
    "conversation_query",
    "conversation_text",
    "document_upsert",
    "documents_active_versions",
    "documents_by_reference",
    "documents_delete",
    "documents_embed",
    "documents_naming",
    "embedding_cache_size",
    "embedding_dimension",
    "embedding_model",
    "embedding_text",
    "evaluation_adapt",
    "evaluation_collection_embed",
    "evaluation_collection_load",
    "evaluation_passages",
    "evaluation_queries_load",
    "evaluation_rows",
    "evaluation_run",
    "indexing_pending",
    "instruction_scores",
    "libraries_drop",
    "library_bulk_load",
    "library_complete",
    "local_query_embedding",
    "model_texts_per_second",
    "passage_for_judgment",
    "planted_instructions",
    "query_vector",
    "query_vector_prepare",
    "query_vectors_forget",
    "question_text",
    "relevance_pairs_forget",
    "relevance_pairs_record",
    "relevance_passage",
    "relevance_summary",
    "retrieve",
    "retrieve_with_status",
    "retriever_adapt",
    "retriever_promote",
    "retriever_rollback",
    "retriever_run_create",
    "retriever_run_start",
    "retriever_runs",
    "retriever_summary",
    "searchable_chunk_count",
    "text_vectors",
    "text_vectors_cached",
    "texts_embedded",
    "vector_index_ensure",
    "version_embed",
    "version_queue",
    "versions_status",
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
    return conversation_search(turns, collection=scope.collection, scenario=scenario)


def document_upsert(
    *,
    title: str,
    text: str,
    external_id: str,
    source: str,
    metadata: dict[str, Any] | None = None,
    embed_async: bool = True,
    collection: str = LIVE,
) -> IngestResult:
    """Create the document with this source + external id, or give it a new version if its text changed.
    `metadata` uses codes and slugs: kind, status, audience, language, products, plans, organizations, roles,
    valid_from, valid_until. Embedding is queued for the workers unless `embed_async` is false (then
    `version_embed` does it). Without an external id a new document is created every time."""
    # Parsing's libraries load only in processes that store documents.
    from .ingest import Record, record_ingest

    return record_ingest(
        Record(title=title, text=text, external_id=external_id, source=source, metadata=dict(metadata or {})),
        embed_async=embed_async,
        collection=collection,
    )


def indexing_pending(*, collection: str = "live") -> int:
    """How many document versions of the collection are still waiting to be embedded (queued or embedding):
    work that wants retrieval over the whole library can wait for zero."""
    waiting = (DocumentVersion.State.QUEUED, DocumentVersion.State.EMBEDDING)
    return DocumentVersion.objects.filter(document__collection=collection, state__in=waiting).count()


def query_vector(text: str) -> list[float] | None:
    """The query's embedding with the model search serves, or None when there is nothing to embed.

    Celery worker processes, code inside `local_query_embedding()` and every process when
    `QUERY_EMBEDDING=local` embed in-process; anywhere else (the web) an embedding worker does, and
    QueryEmbeddingUnavailable is raised when none answers within `QUERY_EMBEDDING_TIMEOUT` seconds."""
    return query_embedding.query_vector(text)


def query_vector_prepare(text: str, *, keep_seconds: int) -> bool:
    """Embed `text` now and keep its vector cached for `keep_seconds`, so a later search for exactly this
    text needs no embedding. Only for processes that hold the model (workers); False when there was
    nothing to embed."""
    if not text.strip() or keep_seconds <= 0:
        return False
    query_embedding.query_embed_cached(text=text, model=indexing.active_model(), keep_seconds=keep_seconds)
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
    search = functools.partial(
        chunks_search,
        scope=scope,
        text=query,
        k=k,
        pool=pool,
        max_per_document=max_per_document,
        focus_titles=focus_titles,
    )
    try:
        chunks = search(vector=vector)
    except VectorDimensionMismatch as exc:
        # The query was embedded by the model search served a moment ago, and a switch to a model of
        # another size has just finished: this one search ranks by keywords.
        log.warning("search falls back to keywords only: %s", exc)
        status, vector = "unavailable", None
        notice = "The search model has just changed. Results are ranked by keyword match only."
        chunks = search(vector=None)
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
    return indexing.active_model()


def embedding_dimension() -> int:
    """How many dimensions the vectors of the model search serves have, as the model says. It loads the
    model, so only workers call it."""
    return embedding.dimension(indexing.active_model())


def text_vectors(texts: Sequence[str]) -> tuple[str, list[list[float]]]:
    """The active embedding model's name and unit vectors for `texts`, computed in this process. It loads
    the model, so only workers call it (the web process embeds single queries with `query_vector`)."""
    model = indexing.active_model()
    return model, embedding.embed(list(texts), model=model)


def planted_instructions(
    text: str, *, directives: bool = False, staff: bool = False
) -> tuple[InstructionFinding, ...]:
    """The sentences of `text` written to a language model rather than to a reader (addressing an
    assistant, posing as system instructions, asking to reveal prompts or other customers' data), with
    their offsets, scores and the reason in words; with `directives`, also the sentences that direct whoever
    writes a reply (what to tell customers, a code to quote), which a reply must never quote. See
    `knowledge.safety.instructions`. `staff`: the text is a staff-only document, whose directions about what
    to tell customers are its purpose, not a finding."""
    return tuple(instruction_findings(text, directives=directives, staff=staff))


# Indexing, evaluation and bulk work, for scripts that hold the embedding model (benchmarks, evaluations).


def chunk_texts(*, title: str, text: str) -> list[str]:
    """The chunks a document's text is split into when it is stored (configured sizes, the active model's
    tokenizer), in order."""
    counter = embedding.token_counter(indexing.active_model())
    return [piece.text for piece in chunk_document(title, text, chunking_config(), counter)]


def version_embed(version_id: int) -> bool:
    """Embed a version's waiting chunks in this process, as an embedding worker would, and make it the one
    search serves. Returns whether it was activated now."""
    return indexing.version_embed(version_id=version_id)


def version_queue(version_id: int) -> None:
    """Hand a version to the embedding workers, as storing a version does once it commits."""
    indexing.version_queue(version_id)


def versions_status(version_ids: Sequence[int]) -> list[VersionStatus]:
    """How far each of these versions' indexing has got, by id (missing ones are left out)."""
    rows = DocumentVersion.objects.filter(pk__in=list(version_ids)).order_by("pk")
    return [
        VersionStatus(
            version_id=row.pk,
            document_id=row.document_id,
            number=row.number,
            state=row.state,
            chunks_total=row.chunks_total,
            chunks_embedded=row.chunks_embedded,
            last_error=row.last_error,
        )
        for row in rows.only(
            "id", "document_id", "number", "state", "chunks_total", "chunks_embedded", "last_error"
        )
    ]


def documents_active_versions(document_ids: Iterable[int]) -> dict[int, int]:
    """The id of the version each of these documents serves now, by document id (documents that are gone,
    or serve no version yet, are left out): a draft that cites an older version quotes a superseded text."""
    rows = Document.objects.filter(pk__in=list(document_ids), active_version__isnull=False)
    return dict(rows.values_list("pk", "active_version_id"))


def chunk_texts_waiting(version_ids: Sequence[int]) -> list[str]:
    """The distinct texts (as embedded: `embedding_text`) of these versions' chunks that have no vector yet,
    in chunk order: what the embedding model will be given for them."""
    distinct: dict[str, str] = {}
    for chunk in Chunk.objects.filter(version_id__in=list(version_ids), dirty=True).order_by("id"):
        distinct.setdefault(chunk.content_hash, embedding_text(chunk.title, chunk.heading_path, chunk.text))
    return list(distinct.values())


def embedding_cache_size(*, version_ids: Sequence[int] | None = None) -> int:
    """How many vectors of the active model the embedding cache holds; with `version_ids`, only those of the
    texts of these versions' chunks."""
    cached = EmbeddingCache.objects.filter(model=indexing.active_model())
    if version_ids is not None:
        hashes = Chunk.objects.filter(version_id__in=list(version_ids)).values("content_hash")
        cached = cached.filter(content_hash__in=hashes)
    return cached.count()


def texts_embedded() -> int:
    """How many texts this process has given the embedding model so far: the difference over a piece of
    work is what it cost in embedding."""
    return embedding.texts_embedded()


def documents_embed(*, source: str) -> int:
    """Embed in this process every version of the documents of `source` that is not active yet, and activate
    it. Returns how many of the source's live documents still serve no version."""
    waiting = DocumentVersion.objects.filter(document__source=source).exclude(
        state=DocumentVersion.State.ACTIVE
    )
    for version_id in waiting.values_list("pk", flat=True):
        indexing.version_embed(version_id=version_id)
    return Document.objects.filter(collection=LIVE, source=source, active_version__isnull=True).count()


def chunk_count(*, collection: str = LIVE) -> int:
    """How many chunks the collection holds, every version."""
    return Chunk.objects.filter(collection=collection).count()


def searchable_chunk_count(scope: RetrievalScope) -> int:
    """How many chunks a search with `scope` may return (of the active versions of the published documents
    it may see)."""
    return searchable_chunks(scope).count()


def query_vectors_forget() -> int:
    """Drop every cached query vector, so that the next searches embed their queries again. Returns how
    many there were."""
    return query_embedding.vectors_forget()


def evaluation_collection_load(documents: Path, *, progress: Progress | None = None) -> str:
    """Load a documents file (JSONL: id, title, text) into an evaluation collection of its own, named after
    its content, once (a second call finds it there). Returns the collection's name."""
    collection, _ = evaluation.collection_load(documents, progress=progress)
    return collection


def evaluation_collection_embed(collection: str, *, progress: Progress | None = None) -> int:
    """Embed an evaluation collection in this process in large batches and activate its versions. Returns
    how many chunks were embedded."""
    return evaluation.collection_embed(collection, progress=progress)


def evaluation_queries_load(queries: Path, *, input_mode: str) -> list[evaluation.Query]:
    """The queries of a queries file (JSONL: id, query, scenario?, dialogue?, gold_doc_ids) that have gold
    documents; `input_mode` "query" searches for query + scenario, "conversation" for the dialogue."""
    return evaluation.queries_load(queries, input_mode=input_mode)


def evaluation_rows(path: Path) -> list[dict[str, Any]]:
    """Every record of a JSONL file in the format of shared/datasets (blank lines skipped), in order, for
    evaluations that read more of a query than its gold documents (the draft evaluation reads its reply).
    Raises ValueError naming the file and line of a record that is not a JSON object."""
    return list(evaluation._read_jsonl(path))


def evaluation_run(
    collection: str,
    queries: Sequence[evaluation.Query],
    *,
    k: int = 10,
    progress: Progress | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Search the collection for every query as the console does and score the documents found against the
    gold ones: n, recall@1/5/10, hit@1/5/10, mrr@10 and latency_ms_p50/p95 (what `manage.py eval_retrieval`
    prints). `model`: the model the collection was embedded with, when it is not the active one."""
    return evaluation.evaluate(collection, list(queries), k=k, progress=progress, model=model)


def evaluation_adapt(
    documents: Path,
    collection: str,
    training: Sequence[evaluation.Query],
    *,
    mining: Progress | None = None,
    training_progress: Progress | None = None,
    embedding_progress: Progress | None = None,
) -> evaluation.Adapted:
    """Adapt the active model on `training` (queries with gold documents of `collection`) and embed the
    documents with it in a collection of their own (what `eval_retrieval --adapt-on` does); the trained model
    is kept by the hash of base, pairs and settings."""
    return evaluation.collection_adapt(
        documents,
        collection,
        training,
        mining=mining,
        training_progress=training_progress,
        embedding_progress=embedding_progress,
    )


def evaluation_passages(collection: str, *, limit: int) -> list[str]:
    """Up to `limit` passages of an evaluation collection, as they are embedded."""
    rows = (
        Chunk.objects.filter(collection=collection)
        .order_by("id")
        .values_list("title", "heading_path", "text")
    )
    return [embedding_text(title, heading_path, text) for title, heading_path, text in rows[:limit]]


def model_texts_per_second(texts: Sequence[str], *, model: str) -> float:
    """How fast `model` embeds `texts` in this process (after one warm-up batch)."""
    embedding.embed(list(texts[:32]), model=model)
    started = time.perf_counter()
    embedding.embed(list(texts), model=model)
    return len(texts) / max(time.perf_counter() - started, 1e-9)


def documents_delete(*, collection: str | None = None, source: str | None = None) -> None:
    """Delete the documents of a collection, or those of one source, with the cached vectors of their
    texts (which are then embedded again when stored anew)."""
    bulk.documents_delete(collection=collection, source=source)


def libraries_drop(*, prefix: str, progress: StageProgress | None = None) -> int:
    """Delete every document whose source or collection starts with `prefix`, in bulk. Returns how many."""
    return bulk.libraries_drop(prefix=prefix, progress=progress)


def library_complete(*, source: str, documents: int, chunks: int) -> bool:
    """Whether the live library marked `source` holds exactly `documents` documents, each serving a version,
    and `chunks` embedded chunks."""
    return bulk.library_complete(source=source, documents=documents, chunks=chunks)


def library_bulk_load(
    *,
    source: str,
    documents: Sequence[LibraryDocument],
    vectors: Iterable[Iterable[float]],
    progress: StageProgress | None = None,
) -> None:
    """Store a prepared library (its chunks and their unit vectors given) in the live collection in bulk,
    served at once; see `knowledge.bulk.library_bulk_load`. Not inside a transaction."""
    bulk.library_bulk_load(source=source, documents=documents, vectors=vectors, progress=progress)


def vector_index_ensure() -> bool:
    """Build the chunks' vector index if an interrupted bulk load left it missing. Returns whether it did."""
    return bulk.vector_index_ensure()


def short_text_vectors(texts: Sequence[str]) -> list[list[float]] | None:
    """Vectors of several short texts (messages) with the active model, from the query vector cache where
    it has them, the rest embedded here in one batch and cached as briefly as queries are. None where this
    process may not load the model (the web process)."""
    from .query_embedding import embeds_locally, texts_embed_cached

    if not embeds_locally():
        return None
    return texts_embed_cached(list(texts), model=indexing.active_model()) if texts else []


_SENTENCE_VECTORS: OrderedDict[tuple[str, str], Any] = OrderedDict()
SENTENCE_VECTORS_KEPT = 20_000
"""Library sentences whose vectors a worker process keeps in memory (about 1.5 KB each): the passages a
draft quotes from recur from draft to draft, and a dictionary lookup is cheaper than the cache table."""


def sentence_similarities(texts: Sequence[str], vector: Sequence[float]) -> dict[str, float] | None:
    """Cosine similarity of each of `texts` (short: sentences of the library) with a query `vector`, the
    texts' vectors from this process's memory, else the embedding cache, else embedded here and cached.
    None where this process may not load the model (the web process), or when `vector` is of another
    model's size."""
    from .query_embedding import embeds_locally

    if not texts or not embeds_locally():
        return None
    import numpy as np

    model = indexing.active_model()
    unique = list(dict.fromkeys(texts))
    missing = [t for t in unique if (model, t) not in _SENTENCE_VECTORS]
    if missing:
        for text, found in zip(missing, bulk.text_vectors_cached(missing), strict=True):
            _SENTENCE_VECTORS[(model, text)] = np.asarray(found, dtype=np.float32)
    for text in unique:
        _SENTENCE_VECTORS.move_to_end((model, text))
    while len(_SENTENCE_VECTORS) > SENTENCE_VECTORS_KEPT:
        _SENTENCE_VECTORS.popitem(last=False)
    matrix = np.stack([_SENTENCE_VECTORS[(model, text)] for text in unique])
    query = np.asarray(vector, dtype=np.float32)
    if matrix.shape[1] != query.shape[0]:
        return None
    # Unit vectors: the dot product is the cosine.
    return dict(zip(unique, (float(x) for x in matrix @ query), strict=True))


def text_vectors_cached(texts: Sequence[str], *, progress: StageProgress | None = None) -> list[list[float]]:
    """Vectors of the active model for chunk texts as embedded (`embedding_text`), through the embedding
    cache: only the texts it lacks are embedded, in this process, and cached."""
    return bulk.text_vectors_cached(texts, progress=progress)


# The retriever that learns: relevance pairs (recorded by the console), adaptation runs, promotion.


def question_text(question: str, *, scenario: str = "") -> str:
    """The search text for a single question (and the situation the customer described)."""
    return query.question_query(question, scenario)


def relevance_pairs_record(pairs: Sequence[RelevancePairInput]) -> int:
    """Store relevance pairs (their questions already redacted); returns how many were new."""
    return relevance.pairs_record(pairs)


def relevance_pairs_forget(*, customer_id: int) -> int:
    """Delete the relevance pairs made from a customer's questions."""
    return relevance.pairs_forget(customer_id=customer_id)


def relevance_summary() -> dict[str, Any]:
    return relevance.pairs_summary()


def documents_by_reference(references: Sequence[str]) -> dict[str, int]:
    """Live documents named by external id, slug or id: reference -> document id."""
    return relevance.documents_by_reference(references)


def relevance_passage(*, document_id: int, query_vector: Sequence[float] | None) -> tuple[str, str] | None:
    """The passage of a live document that best matches a question: (text as embedded, content hash)."""
    return relevance.passage_for(document_id=document_id, query_vector=query_vector)


def passage_for_judgment(*, chunk_id: int, roles: frozenset[str]) -> tuple[str, int] | None:
    """A live passage that staff with `roles` may see: (text as embedded, document id); None otherwise."""
    chunk = (
        searchable_chunks(RetrievalScope(staff_roles=roles))
        .filter(pk=chunk_id)
        .values("title", "heading_path", "text", "document_id")
        .first()
    )
    if chunk is None:
        return None
    return embedding_text(chunk["title"], chunk["heading_path"], chunk["text"]), chunk["document_id"]


def retriever_run_create(*, by: str, config: dict[str, Any] | None = None) -> RetrieverRun:
    """A queued adaptation run over the pairs there are (DomainError: too few pairs; Conflict: one is
    already queued or training). `retriever_adapt` runs it here; `retriever_run_start` queues it."""
    return retrievers.run_create(by=by, config=config)


def retriever_run_start(*, by: str, config: dict[str, Any] | None = None) -> RetrieverRun:
    """Queue an adaptation of the retriever on the `training` workers."""
    run = retrievers.run_create(by=by, config=config)
    retrievers.run_queue(run)
    return run


def retriever_adapt(*, run_id: int, progress: Progress | None = None) -> RetrieverRun:
    """Train, score and judge a queued run (what the `training` worker runs)."""
    return retrievers.retriever_adapt(run_id=run_id, progress=progress)


def retriever_promote(*, run_id: int, by: str, override_reason: str = "") -> RetrieverRun:
    run = RetrieverRun.objects.filter(pk=run_id).first()
    if run is None:
        raise DomainError(f"No retriever run {run_id}.", code="not_found", status_code=404)
    return retrievers.retriever_promote(run=run, by=by, override_reason=override_reason)


def retriever_rollback(*, by: str) -> str:
    return retrievers.retriever_rollback(by=by)


def retriever_runs(*, limit: int = 20) -> list[RetrieverRun]:
    return list(RetrieverRun.objects.order_by("-created_at", "-id")[:limit])


def retriever_summary() -> dict[str, Any]:
    """The model search serves and the one chosen, a switch's progress, and the pairs by source."""
    return retrievers.retriever_summary()
