"""The search engine: hybrid retrieval over the chunks a scope may see. Vector candidates from the HNSW
index (or an exact scan), keyword candidates by BM25 (`keywords`), both scored on full evidence, fused, and
limited per document; the rights rule (`visibility`) is evaluated once per statement."""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from support.core.replica import read_alias, read_connection, retrieval_reads

from .contracts import RetrievalScope, RetrievedChunk
from .embedding import vector_literal
from .keywords import KeywordTerms, bm25_sql, keyword_select, keyword_terms
from .models import LIVE, Document, KeywordCorpus
from .query import ConversationQuery, TitleIndex, Turn, conversation_focus, conversation_query
from .vector_column import COLUMN_DIMENSION_SQL, vectors_check
from .visibility import allowed_cte, visible_versions

RRF_K = 60
# Added to the fused score of chunks whose document the conversation names: about two standard deviations
# of the fused score, so a named document's passages lead unless another passage is far closer.
FOCUS_BONUS = 2.0


@functools.cache
def _pgvector_version() -> tuple[int, ...]:
    with read_connection().cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return tuple(int(p) for p in row[0].split(".")[:3]) if row else (0,)


def _nearest_parts(target: str, width: int, limit: int) -> tuple[str, list[Any], str, list[Any]]:
    """The CTE `nearest` (the index's `width` nearest live chunks, read once: as a subquery
    the planner could rerun the index scan per row or skip the index) and the selects over it: ('v', id,
    distance) for the allowed ones, best first, and ('n', how many the index gave, 0)."""
    # The HNSW index is partial (live chunks only): its condition is spelled out for the planner to match.
    cte = (
        "nearest AS MATERIALIZED (SELECT id, version_id, dirty, embedding <=> %s::vector AS distance "
        "FROM knowledge_chunk WHERE collection = 'live' ORDER BY distance LIMIT %s)"
    )
    selects = (
        "(SELECT 'v', id, distance FROM nearest WHERE NOT dirty "
        "AND version_id IN (SELECT version_id FROM allowed) ORDER BY distance, id LIMIT %s) "
        "UNION ALL (SELECT 'n', count(*), 0 FROM nearest)"
    )
    return cte, [target, width], selects, [limit]


def _exact_select(target: str, limit: int) -> tuple[str, list[Any]]:
    """('v', id, distance) of the nearest allowed chunks by an exact scan. "+ 0" keeps the planner off the
    HNSW index (which would filter after the fact again); the version filter can use the version index."""
    return (
        "(SELECT 'v', id, (embedding <=> %s::vector) + 0 AS distance FROM knowledge_chunk "
        "WHERE version_id IN (SELECT version_id FROM allowed) AND NOT dirty AND embedding IS NOT NULL "
        "ORDER BY distance, id LIMIT %s)",
        [target, limit],
    )


def _statement(
    ctes: list[tuple[str, list[Any]]], selects: list[tuple[str, list[Any]]]
) -> tuple[str, list[Any]]:
    sql = "WITH " + ", ".join(c for c, _ in ctes) + " " + " UNION ALL ".join(s for s, _ in selects)
    return sql, [p for _, ps in (*ctes, *selects) for p in ps]


def _run(
    ctes: list[tuple[str, list[Any]]], selects: list[tuple[str, list[Any]]]
) -> list[tuple[str, int, float]]:
    sql, params = _statement(ctes, selects)
    with read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return [(tag, int(key), float(value)) for tag, key, value in cursor.fetchall()]


def _search_settings(cursor: Any, ef_search: int) -> int | None:
    """Per transaction: the HNSW candidate list, iterative scans where pgvector has them, and no parallel
    workers (starting them costs more than a search of a few thousand rows). Returns the dimension of the
    chunks' vector column, read in the same statement (`vector_fit`)."""
    cursor.execute(
        "SELECT set_config('hnsw.ef_search', %s, true), "
        "set_config('max_parallel_workers_per_gather', '0', true), "
        f"({COLUMN_DIMENSION_SQL})",
        [str(ef_search)],
    )
    dimension = cursor.fetchone()[2]
    if _pgvector_version() >= (0, 8):
        cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
    return int(dimension) if dimension is not None else None


def vector_fit(vector: Sequence[float] | None, column: int | None) -> None:
    """Raise VectorDimensionMismatch if `vector` has another size than the chunks' vector column: a query
    embedded by the model search served a moment ago, before a switch to a model of another size."""
    if vector is not None:
        vectors_check([vector], column=column)


def _use_index(scope: RetrievalScope) -> bool:
    """Only the live knowledge base has an HNSW index; other collections (evaluation sets) are searched
    exactly, so they never take places in the live index's candidate pools."""
    return scope.collection == LIVE


def vector_candidates(
    scope: RetrievalScope,
    vector: Sequence[float],
    *,
    limit: int,
    minimum: int | None = None,
    restrict: Q | None = None,
    exact: bool = False,
    widths: Sequence[int] | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, cosine similarity) of up to `limit` nearest chunks the scope may see (of the documents
    `restrict` keeps), best first; at least `minimum` (default `limit`) when that many exist.

    The HNSW index answers "nearest chunks of any collection, anyone's"; the rights filter then keeps what the
    scope may see. So the index is asked for a wider pool than wanted (`widths`; pgvector >= 0.8 widens it by
    itself with an iterative scan), and when even the widest pool leaves fewer than `minimum` (a narrow
    audience), or when `exact` is asked (a search within a few documents), an exact scan over just the allowed
    chunks answers instead.
    """
    minimum = limit if minimum is None else min(minimum, limit)
    target = vector_literal(vector)
    allowed = allowed_cte(scope, restrict)
    rows: list[tuple[str, int, float]] = []
    with transaction.atomic(using=read_alias()), read_connection().cursor() as cursor:
        if not exact and _use_index(scope):
            for width in widths or (max(limit * 4, 200), 1000):
                vector_fit(vector, _search_settings(cursor, width))
                cte, cte_params, selects, select_params = _nearest_parts(target, width, limit)
                found = _run([allowed, (cte, cte_params)], [(selects, select_params)])
                rows = [row for row in found if row[0] == "v"]
                given = next(key for tag, key, _ in found if tag == "n")
                if len(rows) >= minimum or given < width:
                    return [(cid, 1.0 - distance) for _, cid, distance in rows]
        rows = _run([allowed], [_exact_select(target, limit)])
    return [(cid, 1.0 - distance) for _, cid, distance in rows]


def keyword_candidates(
    scope: RetrievalScope,
    text: str,
    *,
    limit: int,
    terms: KeywordTerms | None = None,
    restrict: Q | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, BM25 score) of the best keyword matches for `text` that the scope may see (among the
    documents `restrict` keeps), best first. Candidates are the chunks holding one of the rarer words,
    ranked by those words alone (cheap); `chunks_search` then scores the survivors on every word."""
    terms = terms or keyword_terms(scope, text)
    if terms is None or not terms.selecting:
        return []
    with transaction.atomic(using=read_alias()), read_connection().cursor() as cursor:
        _search_settings(cursor, 40)
        rows = _run([allowed_cte(scope, restrict)], [keyword_select(scope.collection, terms, limit)])
    return [(cid, score) for _, cid, score in rows]


HYBRID_MIN_WIDTH = 200
"""The fewest nearest chunks a hybrid search asks the HNSW index for, before the rights filter."""


def _hybrid_candidates(
    scope: RetrievalScope,
    vector: Sequence[float] | None,
    terms: KeywordTerms | None,
    *,
    pool: int,
    minimum: int,
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """Vector and keyword candidates in one statement, the rights evaluated once for both. A vector side
    left short by the rights filter is widened by `vector_candidates`. A vector of another size than the
    column's raises VectorDimensionMismatch."""
    width = max(pool * 4, HYBRID_MIN_WIDTH)
    with read_connection().cursor() as cursor:
        vector_fit(vector, _search_settings(cursor, width))
    ctes = [allowed_cte(scope, None)]
    selects = []
    indexed = vector is not None and _use_index(scope)
    if vector is not None:
        target = vector_literal(vector)
        if indexed:
            cte, cte_params, nearest, nearest_params = _nearest_parts(target, width, pool)
            ctes.append((cte, cte_params))
            selects.append((nearest, nearest_params))
            # How many versions the scope may see: none (say, no document in the customer's language) means
            # a wider pool cannot find more either.
            selects.append(("(SELECT 'a', count(*), 0 FROM allowed)", []))
        else:
            selects.append(_exact_select(target, pool))
    if terms is not None and terms.selecting:
        selects.append(keyword_select(scope.collection, terms, pool))
    if not selects:
        return [], []
    found = _run(ctes, selects)
    dense = [(cid, 1.0 - value) for tag, cid, value in found if tag == "v"]
    sparse = [(cid, value) for tag, cid, value in found if tag == "k"]
    given = next((key for tag, key, _ in found if tag == "n"), 0)
    allowed = next((key for tag, key, _ in found if tag == "a"), 0)
    if vector is not None and indexed and len(dense) < minimum and given >= width and allowed:
        dense = vector_candidates(scope, vector, limit=pool, minimum=minimum, widths=(1000,))
    return dense, sparse


@dataclass(frozen=True)
class CandidateScores:
    version_id: int
    vector: float | None
    keyword: float


# What a RetrievedChunk needs of a chunk and its document, read with the scores (one statement for both).
_CHUNK_COLUMNS = (
    "c.document_id, c.title, c.heading_path, c.text, d.slug, d.kind, d.external_id, d.audience, d.language",
    ("document_id", "title", "heading_path", "text", "slug", "kind", "external_id", "audience", "language"),
)


def _scores_for(
    ids: Sequence[int], terms: KeywordTerms | None, vector: Sequence[float] | None
) -> tuple[dict[int, CandidateScores], dict[int, dict[str, Any]]]:
    """Both scores for every candidate, so each is fused on full evidence even if only one side found it,
    and the columns a result needs of each, all in one statement."""
    if not ids:
        return {}, {}
    columns, names = _CHUNK_COLUMNS
    extra = f"c.version_id, c.embedding, {columns}"
    join = "JOIN knowledge_document d ON d.id = c.document_id"
    if terms is not None:
        sql, params = bm25_sql(terms, "c.id = ANY(%s)", extra=extra, join=join)
        params.append(list(ids))
    else:
        sql = f"SELECT c.id, 0.0 AS bm25, {extra} FROM knowledge_chunk c {join} WHERE c.id = ANY(%s)"  # noqa: S608
        params = [list(ids)]
    distance = "s.embedding <=> %s::vector" if vector is not None else "NULL"
    if vector is not None:
        params.insert(0, vector_literal(vector))
    outer = ", ".join(f"s.{name}" for name in names)
    sql = f"SELECT s.id, s.bm25, s.version_id, {distance}, {outer} FROM ({sql}) s"  # noqa: S608
    with read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: dict[int, CandidateScores] = {}
    chunks: dict[int, dict[str, Any]] = {}
    for chunk_id, bm25, version_id, distance_value, *values in rows:
        found[chunk_id] = CandidateScores(
            version_id=version_id,
            vector=None if distance_value is None else 1.0 - float(distance_value),
            keyword=float(bm25 or 0.0),
        )
        chunks[chunk_id] = {"version_id": version_id, **dict(zip(names, values, strict=True))}
    return {chunk_id: found[chunk_id] for chunk_id in ids if chunk_id in found}, chunks


def _standardised(values: dict[int, float]) -> dict[int, float]:
    if not values:
        return {}
    mean = statistics.fmean(values.values())
    # The population standard deviation in floats (statistics.pstdev computes exactly, ten times slower).
    spread = math.sqrt(statistics.fmean((v - mean) ** 2 for v in values.values())) if len(values) > 1 else 0.0
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
    # One transaction: the search settings (`_search_settings`) are local to it. On the read replica when
    # there is one (support.core.replica).
    with retrieval_reads() as alias, transaction.atomic(using=alias):
        pool = max(pool, k)
        terms = keyword_terms(scope, text)
        dense, sparse = _hybrid_candidates(scope, vector, terms, pool=pool, minimum=k)
        method = fusion or settings.RETRIEVAL_FUSION
        focused: list[tuple[int, float]] = []
        focus_versions: set[int] = set()
        if focus_titles:
            # The documents the conversation names compete on their own too, so they are in the pool even when
            # the whole library has closer passages.
            restrict = Q(title__in=list(focus_titles))
            focus_versions = set(visible_versions(scope, restrict))
            if focus_versions and vector is not None:
                focused += vector_candidates(scope, vector, limit=pool, restrict=restrict, exact=True)
            if focus_versions and terms is not None:
                focused += keyword_candidates(scope, text, limit=pool, terms=terms, restrict=restrict)
        candidates = list(dict.fromkeys([cid for cid, _ in (*dense, *sparse, *focused)]))
        found, chunks = _scores_for(candidates, terms, vector)
        candidates = [cid for cid in candidates if cid in found]
        scores = {cid: (found[cid].vector, found[cid].keyword) for cid in candidates}
        # Keyword candidates were picked by their rare words; rank them on the whole query.
        sparse = sorted(
            ((cid, scores[cid][1]) for cid, _ in sparse if cid in scores), key=lambda row: (-row[1], row[0])
        )
        fused = fuse(dense, sparse, scores, method=method, vector_weight=settings.RETRIEVAL_VECTOR_WEIGHT)
        if focus_versions:
            bonus = FOCUS_BONUS if method == "score" else FOCUS_BONUS / RRF_K
            fused = {
                cid: fused.get(cid, 0.0) + (bonus if found[cid].version_id in focus_versions else 0.0)
                for cid in candidates
            }
        vector_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(dense, start=1)}
        keyword_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(sparse, start=1)}
        vector_score = dict(dense) | {cid: v for cid, (v, _) in scores.items() if v is not None}
        keyword_score = dict(sparse) | {cid: kw for cid, (_, kw) in scores.items() if kw > 0}
        order = sorted(fused, key=lambda cid: (-fused[cid], cid))
        results: list[RetrievedChunk] = []
        per_document: dict[int, int] = {}
        for chunk_id in order:
            chunk = chunks[chunk_id]
            document_id = chunk["document_id"]
            if max_per_document is not None and per_document.get(document_id, 0) >= max_per_document:
                continue
            per_document[document_id] = per_document.get(document_id, 0) + 1
            results.append(
                RetrievedChunk(
                    chunk_id=chunk_id,
                    document_id=document_id,
                    version_id=chunk["version_id"],
                    document_title=chunk["title"],
                    document_slug=chunk["slug"],
                    kind=chunk["kind"],
                    heading_path=tuple(chunk["heading_path"]),
                    text=chunk["text"],
                    vector_score=vector_score.get(chunk_id),
                    keyword_score=keyword_score.get(chunk_id),
                    fused_score=fused[chunk_id],
                    vector_rank=vector_rank.get(chunk_id),
                    keyword_rank=keyword_rank.get(chunk_id),
                    external_id=chunk["external_id"],
                    audience=chunk["audience"],
                    language=chunk["language"],
                )
            )
            if len(results) >= k:
                break
        return results


_title_indexes: dict[str, tuple[Any, TitleIndex]] = {}


def title_index(collection: str) -> TitleIndex:
    """The collection's document titles, indexed for spotting them in a conversation. Rebuilt when the
    collection's keyword statistics are (after versions go live), kept in memory in between."""
    with retrieval_reads():
        return _title_index(collection)


def _title_index(collection: str) -> TitleIndex:
    with read_connection().cursor() as cursor:
        # Read on every search, so as plain a statement as can be.
        cursor.execute(
            f"SELECT refreshed_at FROM {KeywordCorpus._meta.db_table} WHERE collection = %s",  # noqa: S608
            [collection],
        )
        row = cursor.fetchone()
    stamp = row[0] if row else None
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


def conversation_search(turns: Sequence[Turn], *, collection: str, scenario: str = "") -> ConversationQuery:
    """What to search for, for a conversation: the text of its latest turns, and the titles of the
    collection's documents it names (which `chunks_search(..., focus_titles=...)` puts first)."""
    text = conversation_query(turns, scenario)
    return ConversationQuery(text=text, focus_titles=conversation_focus(turns, title_index(collection)))
