"""Whole libraries at once, for the benchmarks: loading a prepared library with COPY and a single vector-index
build, checking that one is complete, dropping libraries and collections with the cached vectors of their
texts, and vectors for many texts through the embedding cache. The product stores documents one version at a
time (`services`); nothing here is on its paths."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import embedding
from .chunking import approx_token_count, embedding_text
from .contracts import LibraryDocument, StageProgress
from .indexing import active_model
from .keyword_stats import keyword_stats_refresh
from .languages import cjk_bigram_lines, language_detect, text_config
from .models import LIVE, Chunk, Document, DocumentVersion, EmbeddingCache
from .vector_column import HNSW_INDEX, column_dimension, hnsw_build, vectors_check

EMBED_BATCH = 256

_CHUNK_COLUMNS = (
    "version_id",
    "document_id",
    "collection",
    "ordinal",
    "title",
    "heading_path",
    "heading",
    "text",
    "token_count",
    "content_hash",
    "embedding",
    "embedding_model",
    "dirty",
    "text_config",
    "cjk_bigrams",
)


def documents_delete(*, collection: str | None = None, source: str | None = None) -> None:
    """Delete the documents of a collection, or those of one source, with the cached vectors of their chunks'
    texts, so that those texts are embedded again when they are stored anew."""
    if (collection is None) == (source is None):
        raise ValueError("Give a collection or a source.")
    chosen = Q(collection=collection) if source is None else Q(source=source)
    _delete_with_cache(Document.objects.filter(chosen))


def _delete_with_cache(documents: QuerySet[Document]) -> None:
    with transaction.atomic():
        hashes = set(Chunk.objects.filter(document__in=documents).values_list("content_hash", flat=True))
        EmbeddingCache.objects.filter(content_hash__in=hashes).delete()
        documents.delete()


def libraries_drop(*, prefix: str, progress: StageProgress | None = None) -> int:
    """Delete every document whose source or collection starts with `prefix`, in a few statements rather than
    row by row. Returns how many documents there were."""
    stale = Document.objects.filter(Q(source__startswith=prefix) | Q(collection__startswith=prefix))
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return 0
    if progress:
        progress("dropping libraries", 0, 1)
    with transaction.atomic(), connection.cursor() as cursor:
        _unbounded(cursor)
        cursor.execute("UPDATE knowledge_document SET active_version_id = NULL WHERE id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM knowledge_chunk WHERE document_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM knowledge_documentversion WHERE document_id = ANY(%s)", [ids])
        Document.objects.filter(pk__in=ids).delete()
    if progress:
        progress("dropping libraries", 1, 1)
    return len(ids)


def library_complete(*, source: str, documents: int, chunks: int) -> bool:
    """Whether the live library marked `source` holds exactly `documents` documents, each serving a version,
    and `chunks` embedded chunks."""
    found = Document.objects.filter(collection=LIVE, source=source)
    return (
        found.count() == documents
        and not found.filter(active_version__isnull=True).exists()
        and Chunk.objects.filter(document__in=found, dirty=False).count() == chunks
    )


def vector_index_ensure() -> bool:
    """Build the chunks' HNSW index if it is missing (a bulk load was interrupted between dropping and
    rebuilding it). Returns whether it had to be built."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [HNSW_INDEX])
        if cursor.fetchone() is not None:
            return False
        _unbounded(cursor)
        hnsw_build(cursor)
    return True


def text_vectors_cached(texts: Sequence[str], *, progress: StageProgress | None = None) -> list[list[float]]:
    """Vectors of the active model for chunk texts as embedded (`embedding_text`): from the embedding cache
    where it has them, the rest embedded in this process (and cached)."""
    model = active_model()
    hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    cached: dict[str, Any] = dict(
        EmbeddingCache.objects.filter(model=model, content_hash__in=set(hashes)).values_list(
            "content_hash", "embedding"
        )
    )
    missing = sorted({h: i for i, h in enumerate(hashes) if h not in cached}.values())
    done = len(texts) - len(missing)
    if missing and progress:
        progress("embedding texts", done, len(texts))
    for start in range(0, len(missing), EMBED_BATCH):
        part = missing[start : start + EMBED_BATCH]
        vectors = embedding.embed([texts[i] for i in part], model=model)
        EmbeddingCache.objects.bulk_create(
            [
                EmbeddingCache(content_hash=hashes[i], model=model, embedding=vector)
                for i, vector in zip(part, vectors, strict=True)
            ],
            ignore_conflicts=True,
        )
        cached.update({hashes[i]: vector for i, vector in zip(part, vectors, strict=True)})
        done += len(part)
        if progress:
            progress("embedding texts", done, len(texts))
    return [[float(x) for x in cached[h]] for h in hashes]


def library_bulk_load(
    *,
    source: str,
    documents: Sequence[LibraryDocument],
    vectors: Iterable[Iterable[float]],
    progress: StageProgress | None = None,
) -> None:
    """Store a prepared library in the live collection, its documents marked by `source`, each serving its
    one version at once; `vectors` gives every chunk's unit vector, in the order of the documents and their
    chunks. One transaction; rows are written with COPY and the HNSW index is dropped and built once over
    them, far faster than growing it row by row. Then the tables are vacuumed and the keyword statistics
    recounted, as the workers would after versions go live. Not inside a transaction: VACUUM cannot be."""
    model = active_model()
    now = timezone.now()
    rows = iter(vectors)
    with transaction.atomic():
        with connection.cursor() as cursor:
            _unbounded(cursor)
        created = Document.objects.bulk_create(
            [_document(source, document) for document in documents], batch_size=1000
        )
        configs = [text_config(row.language) for row in created]
        _relations_insert(created, documents)
        versions = DocumentVersion.objects.bulk_create(
            [_version(row, document, now) for row, document in zip(created, documents, strict=True)],
            batch_size=1000,
        )
        total = sum(len(document.chunks) for document in documents)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {HNSW_INDEX}")
            column = column_dimension(cursor)
            with cursor.copy(f"COPY knowledge_chunk ({', '.join(_CHUNK_COLUMNS)}) FROM STDIN") as copy:
                done = 0
                for row, version, document, config in zip(created, versions, documents, configs, strict=True):
                    for ordinal, chunk in enumerate(document.chunks):
                        text = embedding_text(document.title, [chunk.heading], chunk.text)
                        vector = list(next(rows))
                        vectors_check([vector], column=column, model=model)
                        copy.write_row(
                            (
                                version.pk,
                                row.pk,
                                LIVE,
                                ordinal,
                                document.title,
                                [chunk.heading],
                                chunk.heading,
                                chunk.text,
                                approx_token_count(chunk.text),
                                hashlib.sha256(text.encode()).hexdigest(),
                                embedding.vector_literal(vector),
                                model,
                                False,
                                config,
                                cjk_bigram_lines(document.title, chunk.heading, chunk.text),
                            )
                        )
                    done += len(document.chunks)
                    if progress:
                        progress("writing chunks", done, total)
            cursor.execute(
                "UPDATE knowledge_document AS d SET active_version_id = v.id "
                "FROM knowledge_documentversion AS v WHERE v.document_id = d.id AND d.source = %s",
                [source],
            )
            # Django's foreign keys are checked at commit; an index cannot be built while checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if progress:
                progress("building the HNSW index", 0, 1)
            hnsw_build(cursor)
            if progress:
                progress("building the HNSW index", 1, 1)
    with connection.cursor() as cursor:
        # What autovacuum would soon do to freshly loaded tables: visibility map, hint bits, statistics.
        for table in ("knowledge_chunk", "knowledge_document", "knowledge_documentversion"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    # COPY bypasses the workers, who recount after versions go live: without the statistics every query word
    # would look rare and keyword search would read far more than its budget.
    keyword_stats_refresh(collection=LIVE)


def _unbounded(cursor: Any) -> None:
    """Lift the statement timeout for this transaction: bulk writes and index builds take minutes."""
    cursor.execute("SET LOCAL statement_timeout = 0")


def _document(source: str, document: LibraryDocument) -> Document:
    """The document row; without a language, the one its title and first chunks are written in."""
    language = document.language
    if not language:
        sample = " ".join([document.title, *(chunk.text for chunk in document.chunks[:3])])
        language = language_detect(sample)
    return Document(
        collection=LIVE,
        source=source,
        title=document.title,
        slug=document.slug,
        kind=document.kind,
        status=document.status,
        language=language,
        language_detected=not document.language,
        valid_from=document.valid_from,
        valid_until=document.valid_until,
        audience=document.audience,
        audience_roles=list(document.audience_roles),
    )


def _version(row: Document, document: LibraryDocument, now: datetime) -> DocumentVersion:
    text = f"# {document.title}\n\n" + "\n\n".join(
        f"## {chunk.heading}\n\n{chunk.text}" for chunk in document.chunks
    )
    return DocumentVersion(
        document=row,
        number=1,
        title=document.title,
        text=text,
        content_hash=hashlib.sha256(f"{document.title}\n\n{text}".encode()).hexdigest(),
        note="bulk-loaded library",
        state=DocumentVersion.State.ACTIVE,
        chunks_total=len(document.chunks),
        chunks_embedded=len(document.chunks),
        activated_at=now,
        created_at=now,
    )


def _relations_insert(rows: list[Document], documents: Sequence[LibraryDocument]) -> None:
    def keys(model: str, field: str, wanted: set[str]) -> dict[str, int]:
        found = apps.get_model("customers", model).objects.filter(**{f"{field}__in": wanted})
        return dict(found.values_list(field, "pk"))

    pairs = list(zip(rows, documents, strict=True))
    products = keys("Product", "code", {code for d in documents for code in d.products})
    plans = keys("Plan", "code", {code for d in documents for code in d.plans})
    organizations = keys("Organization", "slug", {slug for d in documents for slug in d.organizations})
    Document.products.through.objects.bulk_create(
        [
            Document.products.through(document_id=row.pk, product_id=products[code])
            for row, document in pairs
            for code in document.products
        ],
        batch_size=5000,
    )
    Document.audience_plans.through.objects.bulk_create(
        [
            Document.audience_plans.through(document_id=row.pk, plan_id=plans[code])
            for row, document in pairs
            for code in document.plans
        ],
        batch_size=5000,
    )
    Document.audience_organizations.through.objects.bulk_create(
        [
            Document.audience_organizations.through(document_id=row.pk, organization_id=organizations[slug])
            for row, document in pairs
            for slug in document.organizations
        ],
        batch_size=5000,
    )
