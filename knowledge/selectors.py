"""Reads of the knowledge base: hybrid search filtered by the caller's rights in SQL."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from pgvector.django import CosineDistance

from .contracts import RetrievalScope, RetrievedChunk
from .models import Chunk, Document

RRF_K = 60
ADMIN_ROLE = "administrator"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def document_visibility(scope: RetrievalScope) -> Q:
    """Which documents a search may see, as a filter on Document: audience, status, validity, products and
    language. Every search and every document list goes through this one rule."""
    today = scope.on_date or timezone.localdate()
    rule = Q(collection=scope.collection)
    rule &= Q(valid_from__isnull=True) | Q(valid_from__lte=today)
    rule &= Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    if scope.language:
        rule &= Q(language=scope.language)
    if scope.products:
        tagged = Document.products.through.objects.filter(document_id=OuterRef("pk"))
        rule &= ~Exists(tagged) | Exists(tagged.filter(product__code__in=scope.products))
    audience = Q(audience=Document.Audience.PUBLIC)
    if ADMIN_ROLE in scope.staff_roles:
        audience |= Q(audience=Document.Audience.INTERNAL)
    elif scope.staff_roles:
        audience |= Q(audience=Document.Audience.INTERNAL, audience_roles__overlap=sorted(scope.staff_roles))
    if scope.for_customer:
        plans = Document.audience_plans.through.objects.filter(document_id=OuterRef("pk"))
        orgs = Document.audience_organizations.through.objects.filter(document_id=OuterRef("pk"))
        if scope.customer_plan:
            audience |= Q(
                Exists(plans.filter(plan__code=scope.customer_plan)), audience=Document.Audience.PLANS
            )
        if scope.customer_organization:
            audience |= Q(
                Exists(orgs.filter(organization__slug=scope.customer_organization)),
                audience=Document.Audience.ORGANIZATIONS,
            )
    elif scope.staff_roles:
        # Staff searching without a customer (hit testing) see restricted documents too.
        audience |= Q(audience__in=[Document.Audience.PLANS, Document.Audience.ORGANIZATIONS])
    return rule & audience


def searchable_chunks(scope: RetrievalScope) -> QuerySet[Chunk]:
    """Chunks of the active version of published documents the scope may see."""
    documents = Document.objects.filter(document_visibility(scope), status=Document.Status.PUBLISHED)
    return Chunk.objects.filter(
        document__in=documents.values("pk"), version_id=F("document__active_version_id"), dirty=False
    )


def keyword_query(text: str, *, max_terms: int = 48) -> str:
    """A websearch_to_tsquery string matching any of the words (the parser drops stop words), so long
    natural-language questions still match documents that share only some of their words."""
    words = _WORD.findall(text.lower())[:max_terms]
    return " or ".join(dict.fromkeys(words))


@functools.cache
def _pgvector_version() -> tuple[int, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return tuple(int(p) for p in row[0].split(".")[:3]) if row else (0,)


def vector_candidates(
    scope: RetrievalScope, vector: Sequence[float], *, limit: int
) -> list[tuple[int, float]]:
    """(chunk id, cosine similarity) of the nearest chunks the scope may see, best first.

    Filters run inside the index scan's result set, so a filtered HNSW scan can come back short; pgvector
    >= 0.8 keeps scanning (iterative scans), older versions fall back to an exact scan when that happens.
    """
    queryset = (
        searchable_chunks(scope)
        .annotate(distance=CosineDistance("embedding", list(vector)))
        .order_by("distance")
        .values_list("id", "distance")[:limit]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(min(1000, max(40, limit * 2)))])
        if _pgvector_version() >= (0, 8):
            cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
        rows = list(queryset)
        if len(rows) < limit and _pgvector_version() < (0, 8):
            cursor.execute("SELECT set_config('enable_indexscan', 'off', true)")
            rows = list(queryset)
    rows.sort(key=lambda row: row[1])
    return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in rows]


def keyword_candidates(scope: RetrievalScope, text: str, *, limit: int) -> list[tuple[int, float]]:
    """(chunk id, ts_rank) of the chunks matching the words of `text`, best first (title > heading > body)."""
    terms = keyword_query(text)
    if not terms:
        return []
    query = SearchQuery(terms, search_type="websearch", config="english")
    rows = (
        searchable_chunks(scope)
        .filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query, normalization=1))
        .order_by("-rank", "id")
        .values_list("id", "rank")[:limit]
    )
    return [(chunk_id, float(rank)) for chunk_id, rank in rows]


def chunks_search(
    *,
    scope: RetrievalScope,
    text: str,
    vector: Sequence[float] | None,
    k: int = 10,
    pool: int = 50,
    max_per_document: int | None = None,
) -> list[RetrievedChunk]:
    """Hybrid search: vector and keyword candidates fused by reciprocal rank, then at most
    `max_per_document` chunks per document if asked (so one long document does not fill every slot)."""
    pool = max(pool, k)
    dense = vector_candidates(scope, vector, limit=pool) if vector is not None else []
    sparse = keyword_candidates(scope, text, limit=pool)
    fused: dict[int, float] = {}
    vector_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(dense, start=1)}
    keyword_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(sparse, start=1)}
    for ranks in (vector_rank, keyword_rank):
        for chunk_id, rank in ranks.items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    vector_score, keyword_score = dict(dense), dict(sparse)
    order = sorted(fused, key=lambda cid: (-fused[cid], cid))
    chunks = {c.id: c for c in Chunk.objects.filter(id__in=order[: pool * 2]).select_related("document")}
    results: list[RetrievedChunk] = []
    per_document: dict[int, int] = {}
    for chunk_id in order:
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        if max_per_document is not None and per_document.get(chunk.document_id, 0) >= max_per_document:
            continue
        per_document[chunk.document_id] = per_document.get(chunk.document_id, 0) + 1
        results.append(
            RetrievedChunk(
                chunk_id=chunk.id,
                document_id=chunk.document_id,
                version_id=chunk.version_id,
                document_title=chunk.title,
                document_slug=chunk.document.slug,
                kind=chunk.document.kind,
                heading_path=tuple(chunk.heading_path),
                text=chunk.text,
                vector_score=vector_score.get(chunk_id),
                keyword_score=keyword_score.get(chunk_id),
                fused_score=fused[chunk_id],
                vector_rank=vector_rank.get(chunk_id),
                keyword_rank=keyword_rank.get(chunk_id),
                external_id=chunk.document.external_id,
            )
        )
        if len(results) >= k:
            break
    return results


def documents_visible(*, scope: RetrievalScope) -> QuerySet[Document]:
    return Document.objects.filter(document_visibility(scope))


def documents_for_user(*, roles: frozenset[str]) -> QuerySet[Document]:
    """Knowledge admins and administrators see every live document in any status; other staff see the
    published documents their roles may read."""
    live = Document.objects.filter(collection="live")
    if roles & {"knowledge_admin", ADMIN_ROLE}:
        return live
    return live.filter(
        document_visibility(RetrievalScope(staff_roles=roles)), status=Document.Status.PUBLISHED
    )
