"""Reads of the knowledge base: hybrid search filtered by the caller's rights in SQL."""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from support.core.replica import primary_reads, read_alias, read_connection, retrieval_reads

from .contracts import RetrievalScope, RetrievedChunk
from .embedding import vector_literal
from .models import LIVE, Chunk, Document, KeywordCorpus
from .query import TitleIndex, keyword_text

RRF_K = 60
# Added to the fused score of chunks whose document the conversation names: about two standard deviations
# of the fused score, so a named document's passages lead unless another passage is far closer.
FOCUS_BONUS = 2.0
ADMIN_ROLE = "administrator"


def document_visibility(scope: RetrievalScope) -> Q:
    """Which documents a search may see, as a filter on Document: audience, status, validity, products and
    language. Every search and every document list goes through this one rule.

    The relation checks are uncorrelated `IN (subquery)` tests, which Postgres evaluates once into a hash
    table, rather than `EXISTS` subqueries it would rerun for every document."""
    today = scope.on_date or timezone.localdate()
    rule = Q(collection=scope.collection)
    rule &= Q(valid_from__isnull=True) | Q(valid_from__lte=today)
    rule &= Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    if scope.language:
        rule &= Q(language=scope.language)
    if scope.products:
        tagged = Document.products.through.objects.values("document_id")
        rule &= ~Q(pk__in=tagged) | Q(pk__in=tagged.filter(product__code__in=scope.products))
    audience = Q(audience=Document.Audience.PUBLIC)
    if ADMIN_ROLE in scope.staff_roles:
        audience |= Q(audience=Document.Audience.INTERNAL)
    elif scope.staff_roles:
        audience |= Q(audience=Document.Audience.INTERNAL, audience_roles__overlap=sorted(scope.staff_roles))
    if scope.for_customer:
        plans = Document.audience_plans.through.objects.values("document_id")
        orgs = Document.audience_organizations.through.objects.values("document_id")
        if scope.customer_plan:
            audience |= Q(
                pk__in=plans.filter(plan__code=scope.customer_plan), audience=Document.Audience.PLANS
            )
        if scope.customer_organization:
            audience |= Q(
                pk__in=orgs.filter(organization__slug=scope.customer_organization),
                audience=Document.Audience.ORGANIZATIONS,
            )
    elif scope.staff_roles:
        # Staff searching without a customer (hit testing) see restricted documents too.
        audience |= Q(audience__in=[Document.Audience.PLANS, Document.Audience.ORGANIZATIONS])
    return rule & audience


def _active_versions(scope: RetrievalScope, restrict: Q | None = None) -> QuerySet[Document, Any]:
    """`active_version_id` of each published document the scope may see (and `restrict`, a filter on
    Document, keeps): the one definition of what a search may return, before chunk state."""
    return (
        Document.objects.filter(document_visibility(scope), restrict or Q(), status=Document.Status.PUBLISHED)
        .exclude(active_version__isnull=True)
        .order_by()
        .values("active_version_id")
    )


def visible_versions(scope: RetrievalScope, restrict: Q | None = None) -> list[int]:
    """The active versions of the published documents the scope may see (and `restrict` keeps). A search
    reads these once; its statements then keep only chunks of these versions, which Postgres checks with a
    hash lookup instead of re-evaluating the rights rule for every chunk."""
    return sorted(row["active_version_id"] for row in _active_versions(scope, restrict))


def searchable_chunks(scope: RetrievalScope) -> QuerySet[Chunk]:
    """Chunks of the active version of published documents the scope may see."""
    return Chunk.objects.filter(version_id__in=_active_versions(scope), dirty=False)


@functools.cache
def _pgvector_version() -> tuple[int, ...]:
    with read_connection().cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return tuple(int(p) for p in row[0].split(".")[:3]) if row else (0,)


def _allowed_cte(scope: RetrievalScope, restrict: Q | None) -> tuple[str, list[Any]]:
    """`allowed(version_id)`: the active versions of the documents the scope may see (and `restrict`, a
    filter on Document, keeps), as a CTE that a statement evaluates once and then probes by hash."""
    if restrict is not None:
        return _allowed_sql_build(scope, restrict)
    # Building the rule with the ORM costs more than running it, and every search needs it. The SQL depends
    # only on the scope's shape (which fields are set, how many products, which staff roles), so it is built
    # once per shape from a template scope holding placeholders, and each search fills in its own values.
    shape = (
        scope.staff_roles,
        scope.for_customer,
        len(scope.products),
        bool(scope.language),
        bool(scope.customer_plan),
        bool(scope.customer_organization),
    )
    sql, template = _allowed_template(shape)
    values: dict[Any, Any] = {
        _PLACEHOLDER_DATE: scope.on_date or timezone.localdate(),
        "\x00collection": scope.collection,
        "\x00language": scope.language,
        "\x00plan": scope.customer_plan,
        "\x00organization": scope.customer_organization,
        **{f"\x00product{index}": code for index, code in enumerate(scope.products)},
    }
    return sql, [values.get(param, param) if isinstance(param, str | date) else param for param in template]


_PLACEHOLDER_DATE = date(1, 1, 1)


@functools.lru_cache(maxsize=256)
def _allowed_template(
    shape: tuple[frozenset[str], bool, int, bool, bool, bool],
) -> tuple[str, tuple[Any, ...]]:
    staff_roles, for_customer, products, language, plan, organization = shape
    template = RetrievalScope(
        staff_roles=staff_roles,
        for_customer=for_customer,
        products=tuple(f"\x00product{index}" for index in range(products)),
        language="\x00language" if language else None,
        customer_plan="\x00plan" if plan else None,
        customer_organization="\x00organization" if organization else None,
        on_date=_PLACEHOLDER_DATE,
        collection="\x00collection",
    )
    sql, params = _allowed_sql_build(template, None)
    return sql, tuple(params)


def _allowed_sql_build(scope: RetrievalScope, restrict: Q | None) -> tuple[str, list[Any]]:
    sql, params = _active_versions(scope, restrict).query.sql_with_params()
    return f"allowed(version_id) AS MATERIALIZED ({sql})", list(params)


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


def _search_settings(cursor: Any, ef_search: int) -> None:
    """Per transaction: the HNSW candidate list, iterative scans where pgvector has them, and no parallel
    workers (starting them costs more than a search of a few thousand rows)."""
    cursor.execute(
        "SELECT set_config('hnsw.ef_search', %s, true), "
        "set_config('max_parallel_workers_per_gather', '0', true)",
        [str(ef_search)],
    )
    if _pgvector_version() >= (0, 8):
        cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")


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
    allowed = _allowed_cte(scope, restrict)
    rows: list[tuple[str, int, float]] = []
    with transaction.atomic(using=read_alias()), read_connection().cursor() as cursor:
        if not exact and _use_index(scope):
            for width in widths or (max(limit * 4, 200), 1000):
                _search_settings(cursor, width)
                cte, cte_params, selects, select_params = _nearest_parts(target, width, limit)
                found = _run([allowed, (cte, cte_params)], [(selects, select_params)])
                rows = [row for row in found if row[0] == "v"]
                given = next(key for tag, key, _ in found if tag == "n")
                if len(rows) >= minimum or given < width:
                    return [(cid, 1.0 - distance) for _, cid, distance in rows]
        rows = _run([allowed], [_exact_select(target, limit)])
    return [(cid, 1.0 - distance) for _, cid, distance in rows]


@dataclass(frozen=True)
class KeywordTerms:
    """The query's lexemes (as the index stems them) with their inverse document frequencies, and the
    rarer ones that select candidates (the others only add to a candidate's score): chunks holding any of
    them, or all of them when `conjunctive` (see `_selecting`)."""

    lexemes: tuple[str, ...]
    idfs: tuple[float, ...]
    selecting: tuple[str, ...]
    mean_length: float
    conjunctive: bool = False


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
    with read_connection().cursor() as cursor:
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
        # Read the new figures where they were written: a replica may not have them yet.
        with primary_reads():
            return keyword_terms(scope, text, max_terms=max_terms)
    chunks = max(int(rows[0][2]), 1)
    mean_length = float(rows[0][3]) or 1.0
    # Rarest first: they carry the meaning, and they are cheap to look up in the GIN index.
    rows.sort(key=lambda row: (row[1], row[0]))
    rows = rows[:max_terms]
    selecting, conjunctive = _selecting(
        [(lexeme, df) for lexeme, df, _, _ in rows], chunks, settings.KEYWORD_POSTINGS_BUDGET
    )
    idfs = [
        math.log(1.0 + (chunks - min(df, chunks) + 0.5) / (min(df, chunks) + 0.5)) for _, df, _, _ in rows
    ]
    return KeywordTerms(
        lexemes=tuple(row[0] for row in rows),
        idfs=tuple(idfs),
        selecting=selecting,
        mean_length=mean_length,
        conjunctive=conjunctive,
    )


def _selecting(
    frequencies: Sequence[tuple[str, int]], chunks: int, budget: int
) -> tuple[tuple[str, ...], bool]:
    """The words that pick keyword candidates, rarest first, and whether a candidate needs all of them.

    Normally: chunks holding any of the rarest words, as many words as fit in `budget` postings (document
    frequencies), so ranking never has to read much of the library. When even the rarest word is more
    common than that, chunks holding all of the few rarest words, taking words until the expected number of
    such chunks (assuming the words independent) is within the budget: among chunks of common words, those
    holding several of them are the ones BM25 ranks high. A query of one common word picks no candidates;
    the vector side's candidates are still scored on it."""
    if not frequencies:
        return (), False
    if frequencies[0][1] <= budget:
        chosen: list[str] = []
        postings = 0
        for lexeme, df in frequencies:
            if chosen and (postings + df > budget or len(chosen) >= MAX_SELECTING_TERMS):
                break
            chosen.append(lexeme)
            postings += df
        return tuple(chosen), False
    chosen = []
    expected = float(chunks)
    for lexeme, df in frequencies[:MAX_SELECTING_TERMS]:
        chosen.append(lexeme)
        expected *= min(df, chunks) / chunks
        if len(chosen) >= 2 and expected <= budget:
            break
    return (tuple(chosen), True) if len(chosen) >= 2 else ((), False)


def _bm25_sql(terms: KeywordTerms, where: str, *, extra: str = "", join: str = "") -> tuple[str, list[Any]]:
    """SQL giving (id, BM25 score[, `extra` columns of `c`]) for the chunks `where` selects (a condition on
    `c`). Each lexeme's rank
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
    columns = f"c.id, ({score}) AS bm25" + (f", {extra}" if extra else "")
    sql = f"SELECT {columns} FROM knowledge_chunk c {join} {lateral} WHERE {where}"  # noqa: S608
    return sql, [_quoted(lexeme) for lexeme in terms.lexemes]


def _quoted(lexeme: str) -> str:
    return f"'{lexeme}'"


def _keyword_select(collection: str, terms: KeywordTerms, limit: int) -> tuple[str, list[Any]]:
    """('k', id, BM25 on the selecting words) of the best allowed chunks holding one of the selecting words.
    "+ 0" keeps the planner on the GIN index (the version index would walk every allowed chunk)."""
    idf = dict(zip(terms.lexemes, terms.idfs, strict=True))
    rare = KeywordTerms(
        lexemes=terms.selecting,
        idfs=tuple(idf[lexeme] for lexeme in terms.selecting),
        selecting=terms.selecting,
        mean_length=terms.mean_length,
        conjunctive=terms.conjunctive,
    )
    # The collection condition picks the full-text index of live chunks or the one of the others.
    where = (
        "c.collection = %s AND c.search_vector @@ %s::tsquery "
        "AND c.version_id + 0 IN (SELECT version_id FROM allowed) AND NOT c.dirty"
    )
    sql, params = _bm25_sql(rare, where)
    matching = (" & " if terms.conjunctive else " | ").join(map(_quoted, rare.lexemes))
    return (
        f"(SELECT 'k', s.id, s.bm25 FROM ({sql}) s ORDER BY s.bm25 DESC, s.id LIMIT %s)",  # noqa: S608
        [*params, collection, matching, limit],
    )


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
        rows = _run([_allowed_cte(scope, restrict)], [_keyword_select(scope.collection, terms, limit)])
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
    left short by the rights filter is widened by `vector_candidates`."""
    width = max(pool * 4, HYBRID_MIN_WIDTH)
    ctes = [_allowed_cte(scope, None)]
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
        selects.append(_keyword_select(scope.collection, terms, pool))
    if not selects:
        return [], []
    with read_connection().cursor() as cursor:
        _search_settings(cursor, width)
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
    "c.document_id, c.title, c.heading_path, c.text, d.slug, d.kind, d.external_id, d.audience",
    ("document_id", "title", "heading_path", "text", "slug", "kind", "external_id", "audience"),
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
        sql, params = _bm25_sql(terms, "c.id = ANY(%s)", extra=extra, join=join)
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


def document_latest_state() -> Any:
    """The newest version's indexing state of each document, as an expression to annotate or filter by."""
    from django.db.models import OuterRef, Subquery

    from .models import DocumentVersion

    newest = DocumentVersion.objects.filter(document_id=OuterRef("pk")).order_by("-number").values("state")
    return Subquery(newest[:1])


def document_has_warnings() -> Any:
    """Whether the document's newest version, or the one search serves, carries warnings (hidden content,
    planted instructions), as an expression to annotate or filter by."""
    from django.db.models import Exists, OuterRef, Q, Subquery

    from .models import DocumentVersion

    newest = DocumentVersion.objects.filter(document_id=OuterRef(OuterRef("pk"))).order_by("-number")
    flagged = (
        DocumentVersion.objects.filter(document_id=OuterRef("pk"))
        .filter(Q(pk=OuterRef("active_version_id")) | Q(number=Subquery(newest.values("number")[:1])))
        .exclude(warnings=[])
    )
    return Exists(flagged)


def version_lookup_for_user(*, roles: frozenset[str], ids: Sequence[int]) -> QuerySet[Any]:
    """The versions with these ids that belong to documents the caller may read (others are left out)."""
    from .models import DocumentVersion

    return (
        DocumentVersion.objects.filter(pk__in=list(ids), document__in=documents_for_user(roles=roles))
        .only("id", "document_id", "number", "title", "state")
        .order_by("id")
    )


def owner_candidates() -> QuerySet[Any]:
    """Who may own a document: active staff who can edit the knowledge base."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=["knowledge_admin", ADMIN_ROLE]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


OPTIONS_ORGANIZATION_LIMIT = 2000


def knowledge_options(*, can_write: bool) -> dict[str, Any]:
    """The choices a document's metadata and a search's filters take: products, plans and the languages in
    use for every reader; organizations and possible owners only for editors, who need them to set an
    audience or an owner."""
    from django.apps import apps

    from .models import DocumentVersion

    product = apps.get_model("customers", "Product")
    plan = apps.get_model("customers", "Plan")
    organization = apps.get_model("customers", "Organization")
    languages = set(Document.objects.filter(collection=LIVE).values_list("language", flat=True).distinct())
    options: dict[str, Any] = {
        "kinds": [{"value": v, "label": str(label)} for v, label in Document.Kind.choices],
        "statuses": [{"value": v, "label": str(label)} for v, label in Document.Status.choices],
        "audiences": [{"value": v, "label": str(label)} for v, label in Document.Audience.choices],
        "states": [{"value": v, "label": str(label)} for v, label in DocumentVersion.State.choices],
        "roles": [
            {"value": "agent", "label": "Agent"},
            {"value": "knowledge_admin", "label": "Knowledge admin"},
            {"value": "integration", "label": "Integration"},
            {"value": ADMIN_ROLE, "label": "Administrator"},
        ],
        "languages": sorted(languages | {"en"}),
        "products": [
            {"value": code, "label": name}
            for code, name in product.objects.order_by("name").values_list("code", "name")
        ],
        "plans": [
            {"value": code, "label": name}
            for code, name in plan.objects.order_by("rank", "name").values_list("code", "name")
        ],
        "organizations": [],
        "owners": [],
    }
    if can_write:
        options["organizations"] = [
            {"value": slug, "label": name}
            for slug, name in organization.objects.order_by("name").values_list("slug", "name")[
                :OPTIONS_ORGANIZATION_LIMIT
            ]
        ]
        options["owners"] = [
            {"value": user.username, "label": user.get_full_name() or user.username}
            for user in owner_candidates()
        ]
    return options


def documents_naming(needles: Sequence[str], *, collection: str = LIVE) -> dict[str, int]:
    """For each needle (a host name or an e-mail domain), how many published documents' active text names
    it. A host that only one document names is unverified: a planted link looks like that."""
    wanted = sorted({needle.lower() for needle in needles if needle})
    if not wanted:
        return {}
    patterns = ["%" + re.sub(r"([\\%_])", r"\\\1", needle) + "%" for needle in wanted]
    sql = """
        SELECT n.needle, count(DISTINCT c.document_id)
        FROM unnest(%s::text[], %s::text[]) AS n(needle, pattern)
        JOIN knowledge_chunk c ON c.text ILIKE n.pattern
        JOIN knowledge_document d ON d.id = c.document_id AND d.active_version_id = c.version_id
        WHERE d.status = 'published' AND d.collection = %s
        GROUP BY n.needle
    """
    with read_connection().cursor() as cursor:
        cursor.execute(sql, [wanted, patterns, collection])
        found = dict(cursor.fetchall())
    return {needle: int(found.get(needle, 0)) for needle in wanted}
