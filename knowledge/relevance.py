"""Relevance pairs: which passage answers which question, as the product learns it from its own use (citations
agents kept or removed, replies of resolved tickets, precedents, the search playground's marks) or from an
imported file. The retriever is adapted on them (`retrievers`).

Customer text reaches this module already redacted (the console's side does that, as for training examples);
a customer who is erased or withdraws consent takes their pairs with them (`pairs_forget`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from . import embedding
from .adaptation import TrainingPair
from .chunking import embedding_text
from .contracts import RelevancePairInput
from .embedding import vector_literal
from .models import LIVE, Chunk, Document, RelevancePair

MAX_QUERY_CHARS = 4000
Progress = Callable[[int, int], None]


def pairs_record(pairs: Sequence[RelevancePairInput]) -> int:
    """Store pairs not recorded before (by source and key); returns how many are new."""
    rows = [
        RelevancePair(
            query=pair.query[:MAX_QUERY_CHARS],
            passage=pair.passage,
            relevant=pair.relevant,
            document_id=pair.document_id,
            content_hash=pair.content_hash,
            source=pair.source,
            source_key=pair.source_key[:200],
            ticket_ref=pair.ticket_id,
            customer_ref=pair.customer_id,
            created_by=pair.created_by[:150],
            occurred_at=pair.occurred_at or timezone.now(),
        )
        for pair in pairs
        if pair.query.strip() and pair.passage.strip()
    ]
    if not rows:
        return 0
    keys = {(row.source, row.source_key) for row in rows}
    before = RelevancePair.objects.filter(
        source__in={source for source, _ in keys}, source_key__in={key for _, key in keys}
    ).count()
    RelevancePair.objects.bulk_create(rows, ignore_conflicts=True)
    after = RelevancePair.objects.filter(
        source__in={source for source, _ in keys}, source_key__in={key for _, key in keys}
    ).count()
    return after - before


def pairs_forget(*, customer_id: int) -> int:
    """Delete the pairs made from a customer's questions (erased, or no longer consenting)."""
    deleted, _ = RelevancePair.objects.filter(customer_ref=customer_id).delete()
    return deleted


def pairs_summary() -> dict[str, object]:
    by_source = dict(
        RelevancePair.objects.values_list("source").annotate(n=Count("id")).values_list("source", "n")
    )
    counts = RelevancePair.objects.aggregate(total=Count("id"), positive=Count("id", filter=Q(relevant=True)))
    total = int(counts["total"] or 0)
    positive = int(counts["positive"] or 0)
    return {
        "total": total,
        "positive": positive,
        "negative": total - positive,
        "by_source": {source: int(by_source.get(source, 0)) for source in RelevancePair.Source.values},
    }


def passage_for(*, document_id: int, query_vector: Sequence[float] | None) -> tuple[str, str] | None:
    """The passage of a live document's active version that best matches the question (its nearest chunk
    by the active vectors; the first chunk without a vector): (text as embedded, content hash)."""
    chunks = Chunk.objects.filter(
        document_id=document_id, collection=LIVE, document__active_version_id=F("version_id")
    )
    if query_vector is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id "
                "WHERE c.document_id = %s AND c.version_id = d.active_version_id AND c.embedding IS NOT NULL "
                "AND vector_dims(c.embedding) = %s ORDER BY c.embedding <=> %s::vector, c.ordinal LIMIT 1",
                [document_id, len(query_vector), vector_literal(query_vector)],
            )
            row = cursor.fetchone()
        if row:
            chunks = Chunk.objects.filter(pk=row[0])
    chunk = chunks.order_by("ordinal").only("title", "heading_path", "text", "content_hash").first()
    if chunk is None:
        return None
    return embedding_text(chunk.title, chunk.heading_path, chunk.text), chunk.content_hash


def documents_by_reference(references: Sequence[str]) -> dict[str, int]:
    """Live documents named by external id, slug or numeric id, as an imported file names its gold
    documents: reference -> document id (unknown references are left out)."""
    wanted = {str(ref) for ref in references if str(ref).strip()}
    found: dict[str, int] = {}
    for document_id, external_id, slug in (
        Document.objects.filter(collection=LIVE)
        .filter(Q(external_id__in=wanted) | Q(slug__in=wanted))
        .values_list("id", "external_id", "slug")
    ):
        for ref in (external_id, slug):
            if ref in wanted:
                found.setdefault(ref, document_id)
    numeric = [int(ref) for ref in wanted - set(found) if ref.isdigit()]
    for document_id in Document.objects.filter(collection=LIVE, id__in=numeric).values_list("id", flat=True):
        found[str(document_id)] = document_id
    return found


@dataclass(frozen=True)
class PairSplit:
    """The pairs a retriever trains on, and the newest ones it is judged on and never sees."""

    train: list[TrainingPair]
    held_out: list[TrainingPair]
    train_ids: list[int]
    held_out_ids: list[int]
    cutoff: datetime | None


def pairs_split(*, held_out_fraction: float, max_negatives: int) -> PairSplit:
    """Relevant pairs in time order; the newest `held_out_fraction` of questions are held out (a question
    asked twice stays on one side). A pair marked not relevant becomes a hard negative of its question."""
    rows = list(
        RelevancePair.objects.order_by("occurred_at", "id").values(
            "id", "query", "passage", "relevant", "occurred_at"
        )
    )
    negatives: dict[str, list[str]] = {}
    for row in rows:
        if not row["relevant"]:
            negatives.setdefault(row["query"], []).append(row["passage"])
    positives = [row for row in rows if row["relevant"]]
    questions = list(dict.fromkeys(row["query"] for row in positives))
    held = max(1, round(len(questions) * held_out_fraction)) if len(questions) >= 2 else 0
    held_questions = set(questions[len(questions) - held :])
    train: list[TrainingPair] = []
    held_out: list[TrainingPair] = []
    train_ids: list[int] = []
    held_ids: list[int] = []
    cutoff = None
    seen: set[tuple[str, str]] = set()
    for row in positives:
        key = (row["query"], row["passage"])
        if key in seen:
            continue
        seen.add(key)
        wrong = tuple(p for p in negatives.get(row["query"], []) if p != row["passage"])[:max_negatives]
        pair = TrainingPair(query=row["query"], positive=row["passage"], negatives=wrong)
        if row["query"] in held_questions:
            held_out.append(pair)
            held_ids.append(row["id"])
            cutoff = cutoff or row["occurred_at"]
        else:
            train.append(pair)
            train_ids.append(row["id"])
    return PairSplit(
        train=train, held_out=held_out, train_ids=train_ids, held_out_ids=held_ids, cutoff=cutoff
    )


def hard_negatives_mine(
    collection: str,
    queries: Sequence[str],
    exclude: Sequence[set[str]],
    *,
    count: int,
    progress: Progress | None = None,
    batch: int = 256,
) -> list[tuple[str, ...]]:
    """For each question, the `count` passages of `collection` nearest to it by the vectors search serves
    now, leaving out the passages in its `exclude` set (its answers): what the current retriever confuses
    with the answer. Exact, in memory: a collection's vectors are read once and the questions embedded in
    batches."""
    import numpy as np

    rows = list(
        Chunk.objects.filter(
            collection=collection, version_id=F("document__active_version_id"), embedding__isnull=False
        ).values_list("title", "heading_path", "text", "embedding", "embedding_model")
    )
    if not rows or count < 1:
        return [() for _ in queries]
    models = Counter(row[4] for row in rows)
    model = models.most_common(1)[0][0]
    texts = [embedding_text(title, heading_path, text) for title, heading_path, text, _, _ in rows]
    matrix = np.asarray([row[3] for row in rows], dtype=np.float32)
    found: list[tuple[str, ...]] = []
    depth = min(len(texts), count + 32)
    for start in range(0, len(queries), batch):
        part = list(queries[start : start + batch])
        vectors = np.asarray(embedding.embed(part, model=model), dtype=np.float32)
        scores = vectors @ matrix.T
        nearest = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
        for row_index, candidates in enumerate(nearest):
            ordered = candidates[np.argsort(-scores[row_index, candidates])]
            skip = exclude[start + row_index]
            picked: list[str] = []
            for index in ordered:
                text = texts[int(index)]
                if text not in skip and text not in picked:
                    picked.append(text)
                    if len(picked) == count:
                        break
            found.append(tuple(picked))
        if progress:
            progress(min(start + batch, len(queries)), len(queries))
    return found
