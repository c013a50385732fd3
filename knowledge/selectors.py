"""Reads of the knowledge base: hybrid search filtered by the caller's rights in SQL."""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone
from pgvector.django import CosineDistance

from .contracts import RetrievalScope, RetrievedChunk
from .models import Chunk, Document, KeywordCorpus
from .query import TitleIndex, keyword_text

RRF_K = 60
# Added to the fused score of chunks whose document the conversation names: about two standard deviations
# of the fused score, so a named document's passages lead unless another passage is far closer.
FOCUS_BONUS = 2.0
ADMIN_ROLE = "administrator"


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


@functools.cache
def _pgvector_version() -> tuple[int, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return tuple(int(p) for p in row[0].split(".")[:3]) if row else (0,)


# Below this share of all chunks, a collection is searched exactly: the index's nearest neighbours would
# mostly belong to other collections (an evaluation set beside the live library), and an exact scan of a
# small collection is cheap.
MIN_SHARE_FOR_INDEX = 0.2


def _collection_share(collection: str) -> float:
    """The collection's share of all chunks, from its keyword statistics and the planner's row estimate."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT chunks FROM knowledge_keywordcorpus WHERE collection = %s), "
            "(SELECT reltuples FROM pg_class WHERE oid = 'knowledge_chunk'::regclass)",
            [collection],
        )
        chunks, total = cursor.fetchone()
    if chunks is None or not total or total <= 0:
        return 1.0  # not counted yet: assume it is most of the table
    return min(1.0, float(chunks) / float(total))


def vector_candidates(
    scope: RetrievalScope, vector: Sequence[float], *, limit: int, restrict: Q | None = None
) -> list[tuple[int, float]]:
    """(chunk id, cosine similarity) of the nearest chunks the scope may see, best first.

    The HNSW index answers "nearest chunks of any collection, anyone's"; the rights filter then keeps what the
    scope may see. So the index is asked for a wider pool than wanted (pgvector >= 0.8 widens it by itself
    with an iterative scan), and when even the widest pool leaves too few (a narrow audience, or a `restrict`
    to a few documents), an exact scan over just the rows the filter allows answers instead.
    """
    target = list(vector)
    allowed = searchable_chunks(scope).filter(restrict or Q())
    distance = CosineDistance("embedding", target)
    rows: list[tuple[int, float]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        if restrict is None and _collection_share(scope.collection) >= MIN_SHARE_FOR_INDEX:
            if _pgvector_version() >= (0, 8):
                cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
            for width in (max(limit * 4, 200), 1000):
                cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(width)])
                # Two statements, so the planner can neither skip the index nor rerun it per row.
                nearest = list(
                    Chunk.objects.annotate(distance=distance)
                    .order_by("distance")
                    .values_list("id", "distance")[:width]
                )
                permitted = set(
                    allowed.filter(id__in=[chunk_id for chunk_id, _ in nearest]).values_list("id", flat=True)
                )
                rows = [row for row in nearest if row[0] in permitted][:limit]
                if len(rows) >= limit or len(nearest) < width:
                    break
        if len(rows) < limit:
            # Exact: the distance to every allowed chunk. "+ 0" keeps the planner off the HNSW index (which
            # would filter after the fact again) while the filter itself may use any other index.
            rows = list(
                Chunk.objects.filter(id__in=Subquery(allowed.order_by().values("id")))
                .annotate(distance=distance + Value(0.0))
                .order_by("distance")
                .values_list("id", "distance")[:limit]
            )
    rows.sort(key=lambda row: row[1])
    return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in rows]


@dataclass(frozen=True)
class KeywordTerms:
    """The query's lexemes (as the index stems them) with their inverse document frequencies, and the
    rarer ones that select candidates (the others only add to a candidate's score)."""

    lexemes: tuple[str, ...]
    idfs: tuple[float, ...]
    selecting: tuple[str, ...]
    mean_length: float


# BM25 over Postgres full text. A lexeme's frequency in a chunk is read with ts_rank on that one lexeme, which
# already saturates with repeats and weighs where it occurs (title A > heading B > body C); dividing by the
# rank of a single body occurrence makes one body hit count 1.
BM25_K1 = 1.2
BM25_B = 0.75
MAX_SELECTING_TERMS = 8
_TS_WEIGHTS = "{0.4, 0.5, 0.7, 1.0}"  # D, C (body), B (heading), A (title); ts_rank caps weights at 1
_ONE_BODY_HIT = 0.5 / 1.64493406685  # ts_rank of a single weight-C occurrence
_SAFE_LEXEME = re.compile(r"^[^'\\\s:&|!()<>*]+$")


def keyword_terms(scope: RetrievalScope, text: str, *, max_terms: int = 16) -> KeywordTerms | None:
    """Stem the query with the index's configuration and look up each lexeme's document frequency."""
    if not text.strip():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.lexeme, coalesce(k.df, 0), c.chunks, coalesce(c.mean_length, 0)
            FROM unnest(to_tsvector('english', %s)) AS t
            LEFT JOIN knowledge_keywordstat k ON k.collection = %s AND k.lexeme = t.lexeme
            LEFT JOIN knowledge_keywordcorpus c ON c.collection = %s
            """,
            [keyword_text(text[:20000]), scope.collection, scope.collection],
        )
        rows = [row for row in cursor.fetchall() if _SAFE_LEXEME.match(row[0])]
    if not rows:
        return None
    if rows[0][2] is None:
        # First search of a collection nobody has counted yet: count it now, once.
        from .services import keyword_stats_refresh

        keyword_stats_refresh(collection=scope.collection)
        return keyword_terms(scope, text, max_terms=max_terms)
    chunks = max(int(rows[0][2]), 1)
    mean_length = float(rows[0][3]) or 1.0
    # Rarest first: they carry the meaning, and they are cheap to look up in the GIN index.
    rows.sort(key=lambda row: (row[1], row[0]))
    rows = rows[:max_terms]
    budget = settings.KEYWORD_POSTINGS_BUDGET
    selecting: list[str] = []
    postings = 0
    for lexeme, df, _, _ in rows:
        if selecting and (postings + df > budget or len(selecting) >= MAX_SELECTING_TERMS):
            break
        selecting.append(lexeme)
        postings += df
    idfs = [
        math.log(1.0 + (chunks - min(df, chunks) + 0.5) / (min(df, chunks) + 0.5)) for _, df, _, _ in rows
    ]
    return KeywordTerms(
        lexemes=tuple(row[0] for row in rows),
        idfs=tuple(idfs),
        selecting=tuple(selecting),
        mean_length=mean_length,
    )


def _bm25_sql(terms: KeywordTerms, where: str) -> tuple[str, list[Any]]:
    """SQL giving (id, BM25 score) for the chunks `where` selects (a condition on `c`). Each lexeme's rank
    is computed once per chunk (the lateral subquery, kept apart from the outer expression by OFFSET 0).
    Numbers are written into the SQL as float literals; the lexemes travel as parameters."""
    ranks = [
        f"ts_rank('{_TS_WEIGHTS}', c.search_vector, %s::tsquery, 0) / {_ONE_BODY_HIT} AS r{index}"
        for index in range(len(terms.lexemes))
    ]
    norm = f"{BM25_K1} * (1 - {BM25_B} + {BM25_B} * t.len / {float(terms.mean_length)!r})"
    score = " + ".join(
        f"{float(idf)!r} * t.r{index} * {BM25_K1 + 1} / (t.r{index} + {norm})"
        for index, idf in enumerate(terms.idfs)
    )
    # Only our own float literals and fixed SQL are formatted in; user text is in the parameters.
    lateral = f"CROSS JOIN LATERAL (SELECT {', '.join(ranks)}, length(c.search_vector) AS len OFFSET 0) t"
    sql = f"SELECT c.id, ({score}) AS bm25 FROM knowledge_chunk c {lateral} WHERE {where}"  # noqa: S608
    return sql, [_quoted(lexeme) for lexeme in terms.lexemes]


def _quoted(lexeme: str) -> str:
    return f"'{lexeme}'"


def keyword_candidates(
    scope: RetrievalScope,
    text: str,
    *,
    limit: int,
    restrict: Q | None = None,
    terms: KeywordTerms | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, BM25 score) of the best keyword matches for `text`, best first."""
    terms = terms or keyword_terms(scope, text)
    if terms is None:
        return []
    # Candidates are the chunks holding one of the rarer words, ranked by those words alone (cheap); the
    # fusion step then scores the survivors on every word of the query.
    rare = KeywordTerms(
        lexemes=terms.selecting,
        idfs=tuple(dict(zip(terms.lexemes, terms.idfs, strict=True))[lexeme] for lexeme in terms.selecting),
        selecting=terms.selecting,
        mean_length=terms.mean_length,
    )
    matching = (
        searchable_chunks(scope)
        .filter(restrict or Q())
        .filter(
            search_vector=SearchQuery(
                " | ".join(map(_quoted, rare.lexemes)), search_type="raw", config="english"
            )
        )
        .order_by()
        .values("id")
    )
    matching_sql, matching_params = matching.query.sql_with_params()
    sql, params = _bm25_sql(rare, f"c.id IN ({matching_sql})")
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY bm25 DESC, c.id LIMIT %s", [*params, *matching_params, limit])
        return [(chunk_id, float(score)) for chunk_id, score in cursor.fetchall()]


def _scores_for(
    ids: Sequence[int], terms: KeywordTerms | None, vector: Sequence[float] | None
) -> dict[int, tuple[float | None, float]]:
    """Both scores for every candidate, so each is fused on full evidence even if only one side found it."""
    if not ids:
        return {}
    keyword: dict[int, float] = {}
    if terms is not None:
        sql, params = _bm25_sql(terms, "c.id = ANY(%s)")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, list(ids)])
            keyword = {chunk_id: float(score or 0.0) for chunk_id, score in cursor.fetchall()}
    similarity: dict[int, float] = {}
    if vector is not None:
        rows = (
            Chunk.objects.filter(id__in=list(ids))
            .annotate(distance=CosineDistance("embedding", list(vector)))
            .values_list("id", "distance")
        )
        similarity = {chunk_id: 1.0 - float(distance) for chunk_id, distance in rows if distance is not None}
    return {chunk_id: (similarity.get(chunk_id), keyword.get(chunk_id, 0.0)) for chunk_id in ids}


def _standardised(values: dict[int, float]) -> dict[int, float]:
    if not values:
        return {}
    mean = statistics.fmean(values.values())
    spread = statistics.pstdev(values.values()) if len(values) > 1 else 0.0
    if spread < 1e-9:
        return {key: 0.0 for key in values}
    return {key: (value - mean) / spread for key, value in values.items()}


def fuse(
    dense: Sequence[tuple[int, float]],
    sparse: Sequence[tuple[int, float]],
    scores: dict[int, tuple[float | None, float]],
    *,
    method: str,
    vector_weight: float,
) -> dict[int, float]:
    """One score per candidate. `rrf`: the sum of 1 / (60 + rank) over both lists. `score`: a weighted sum
    of the vector and keyword scores, each standardised over the candidate pool, so a clear keyword match
    and a clear semantic match both count by how far they stand out, not by their rank alone."""
    if method == "rrf":
        fused: dict[int, float] = {}
        for ranked in (dense, sparse):
            for rank, (chunk_id, _) in enumerate(ranked, start=1):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        return fused
    vectors = {cid: v for cid, (v, _) in scores.items() if v is not None}
    keywords = {cid: k for cid, (_, k) in scores.items()}
    if not vectors:
        vector_weight = 0.0
    if not sparse:
        vector_weight = 1.0
    z_vector, z_keyword = _standardised(vectors), _standardised(keywords)
    return {
        cid: vector_weight * z_vector.get(cid, 0.0) + (1.0 - vector_weight) * z_keyword.get(cid, 0.0)
        for cid in scores
    }


def _chunks_with_documents(ids: Sequence[int]) -> dict[int, Chunk]:
    rows = (
        Chunk.objects.filter(id__in=list(ids)).select_related("document").defer("embedding", "search_vector")
    )
    return {chunk.id: chunk for chunk in rows}


def chunks_search(
    *,
    scope: RetrievalScope,
    text: str,
    vector: Sequence[float] | None,
    k: int = 10,
    pool: int = 50,
    max_per_document: int | None = None,
    fusion: str | None = None,
    focus_titles: Sequence[str] = (),
) -> list[RetrievedChunk]:
    """Hybrid search: vector and keyword candidates (`pool` of each), fused (see `fuse`), then at most
    `max_per_document` chunks per document if asked (so one long document does not fill every slot).
    Chunks of documents titled in `focus_titles` (what the conversation is about) get FOCUS_BONUS."""
    pool = max(pool, k)
    dense = vector_candidates(scope, vector, limit=pool) if vector is not None else []
    terms = keyword_terms(scope, text)
    sparse = keyword_candidates(scope, text, limit=pool, terms=terms) if terms is not None else []
    method = fusion or settings.RETRIEVAL_FUSION
    focused: list[tuple[int, float]] = []
    if focus_titles:
        # The documents the conversation names compete on their own too, so they are in the pool even when
        # the whole library has closer passages.
        restrict = Q(document__title__in=list(focus_titles))
        if vector is not None:
            focused += vector_candidates(scope, vector, limit=pool, restrict=restrict)
        if terms is not None:
            focused += keyword_candidates(scope, text, limit=pool, restrict=restrict, terms=terms)
    candidates = list(dict.fromkeys([cid for cid, _ in (*dense, *sparse, *focused)]))
    scores = _scores_for(candidates, terms, vector)
    # Keyword candidates were picked by their rare words; rank them on the whole query.
    sparse = sorted(((cid, scores[cid][1]) for cid, _ in sparse), key=lambda row: (-row[1], row[0]))
    fused = fuse(dense, sparse, scores, method=method, vector_weight=settings.RETRIEVAL_VECTOR_WEIGHT)
    if focus_titles:
        in_focus = set(
            Chunk.objects.filter(id__in=candidates, document__title__in=list(focus_titles)).values_list(
                "id", flat=True
            )
        )
        bonus = FOCUS_BONUS if method == "score" else FOCUS_BONUS / RRF_K
        fused = {cid: fused.get(cid, 0.0) + (bonus if cid in in_focus else 0.0) for cid in candidates}
    vector_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(dense, start=1)}
    keyword_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(sparse, start=1)}
    vector_score = dict(dense) | {cid: v for cid, (v, _) in scores.items() if v is not None}
    keyword_score = dict(sparse) | {cid: kw for cid, (_, kw) in scores.items() if kw > 0}
    order = sorted(fused, key=lambda cid: (-fused[cid], cid))
    # Read the chunks in slices of the ranking, so a search for k results loads about k rows, and more only
    # when the per-document limit skips some.
    chunks: dict[int, Chunk] = {}
    step = k * 2 if max_per_document is not None else k
    results: list[RetrievedChunk] = []
    per_document: dict[int, int] = {}
    for position, chunk_id in enumerate(order):
        if position % step == 0:
            chunks.update(_chunks_with_documents(order[position : position + step]))
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


_title_indexes: dict[str, tuple[Any, TitleIndex]] = {}


def title_index(collection: str) -> TitleIndex:
    """The collection's document titles, indexed for spotting them in a conversation. Rebuilt when the
    collection's keyword statistics are (after versions go live), kept in memory in between."""
    stamp = KeywordCorpus.objects.filter(collection=collection).values_list("refreshed_at", flat=True).first()
    cached = _title_indexes.get(collection)
    if cached is not None and stamp is not None and cached[0] == stamp:
        return cached[1]
    titles = (
        Document.objects.filter(collection=collection, active_version__isnull=False)
        .values_list("title", flat=True)
        .distinct()
    )
    index = TitleIndex.build(list(titles))
    _title_indexes[collection] = (stamp, index)
    return index


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


def index_status(collection: str = "live") -> dict[str, Any]:
    """What the live index looks like now, for the API: models, a switch's progress, waiting work."""
    from . import embedding
    from .models import DocumentVersion, IndexState

    state = IndexState.objects.filter(pk=1).first()
    active = (state.active_model if state else "") or embedding.configured_model()
    switch = None
    if state is not None and state.target_model:
        switch = {"model": state.target_model, "done": state.target_done, "total": state.target_total}
    chunks = Chunk.objects.filter(document__collection=collection)
    versions = (
        DocumentVersion.objects.filter(document__collection=collection)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "active_model": active,
        "configured_model": embedding.configured_model(),
        "switch": switch,
        "chunks": chunks.count(),
        "chunks_waiting": chunks.filter(dirty=True).count(),
        "versions": {row["state"]: row["n"] for row in versions},
        "keyword_statistics_at": KeywordCorpus.objects.filter(collection=collection)
        .values_list("refreshed_at", flat=True)
        .first(),
    }
