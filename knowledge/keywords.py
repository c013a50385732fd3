"""Keyword (BM25) search over Postgres full text: the query's terms with their statistics, and the SQL that
scores chunks on them. `retrieval` runs these statements inside its own."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from support.core.replica import primary_reads, read_connection

from .contracts import RetrievalScope
from .keyword_stats import keyword_stats_refresh
from .languages import SIMPLE_CONFIG, cjk_bigrams, cjk_removed, query_configs
from .query import keyword_text


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
    """Stem the query as the index stems text in its language and look up each lexeme's document frequency.

    A query is analysed in the language it is written in (`languages.query_configs`), and its Chinese or
    Japanese runs by their character pairs, as chunks are. When more than one analysis took part, or
    character pairs did, only the lexemes the collection holds are kept: the others are what a wrong guess
    at the language made of the query, or pairs of characters that span two words."""
    if not text.strip():
        return None
    text = text[:20000]
    words = keyword_text(cjk_removed(text))
    analyses = [(config, words) for config in query_configs(text, scope.language)] if words else []
    pairs = cjk_bigrams(text)
    if pairs:
        analyses.append((SIMPLE_CONFIG, pairs))
    if not analyses:
        return None
    vectors = " UNION ".join("SELECT lexeme FROM unnest(to_tsvector(%s::regconfig, %s))" for _ in analyses)
    with read_connection().cursor() as cursor:
        cursor.execute(
            f"""
            SELECT t.lexeme, coalesce(k.df, 0), c.chunks, coalesce(c.mean_length, 0)
            FROM ({vectors}) AS t
            LEFT JOIN knowledge_keywordstat k ON k.collection = %s AND k.lexeme = t.lexeme
            LEFT JOIN knowledge_keywordcorpus c ON c.collection = %s
            """,  # noqa: S608 - only the fixed statement per analysis is formatted in
            [*(value for analysis in analyses for value in analysis), scope.collection, scope.collection],
        )
        rows = [row for row in cursor.fetchall() if _SAFE_LEXEME.match(row[0])]
    if not rows:
        return None
    if rows[0][2] is None:
        # First search of a collection nobody has counted yet: count it now, once.
        keyword_stats_refresh(collection=scope.collection)
        # Read the new figures where they were written: a replica may not have them yet.
        with primary_reads():
            return keyword_terms(scope, text, max_terms=max_terms)
    if len(analyses) > 1 or pairs:
        # Only one analysis of plain words keeps the lexemes the library lacks (as before languages), which
        # match nothing; the character pairs of a sentence would otherwise crowd out the pairs that match.
        rows = [row for row in rows if row[1] > 0]
        if not rows:
            return None
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


def bm25_sql(terms: KeywordTerms, where: str, *, extra: str = "", join: str = "") -> tuple[str, list[Any]]:
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


def keyword_select(collection: str, terms: KeywordTerms, limit: int) -> tuple[str, list[Any]]:
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
    sql, params = bm25_sql(rare, where)
    matching = (" & " if terms.conjunctive else " | ").join(map(_quoted, rare.lexemes))
    return (
        f"(SELECT 'k', s.id, s.bm25 FROM ({sql}) s ORDER BY s.bm25 DESC, s.id LIMIT %s)",  # noqa: S608
        [*params, collection, matching, limit],
    )
