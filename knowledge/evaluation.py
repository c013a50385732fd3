"""Retrieval evaluation over a documents file and a queries file (the format of shared/datasets/*/),
in a collection of its own that never mixes with the live knowledge base."""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F

from support.core.roles import ADMINISTRATOR

from . import services
from .adaptation import AdaptConfig, TrainingPair, model_train_cached
from .chunking import embedding_text
from .contracts import RetrievalScope, RetrievedChunk
from .indexing import active_model, chunks_embed_ids, version_activate
from .keyword_stats import keyword_stats_refresh
from .models import Chunk, Document, DocumentVersion, KeywordCorpus
from .query import Turn, conversation_query, question_query
from .query_embedding import local_query_embedding, query_embed, query_vector
from .relevance import hard_negatives_mine
from .retrieval import chunks_search, conversation_search

Progress = Callable[[int, int], None]
KS = (1, 5, 10)


def collection_for(documents_path: Path) -> str:
    digest = hashlib.sha256(documents_path.read_bytes()).hexdigest()[:16]
    return f"eval-{digest}"


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name}:{number}: not valid JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise ValueError(f"{path.name}:{number}: expected a JSON object")
                yield row


def collection_load(
    documents_path: Path, *, progress: Progress | None = None, collection: str | None = None
) -> tuple[str, int]:
    """Load the documents into their evaluation collection (once: a second run finds them there). A model
    other than the active one is evaluated in a collection of its own (`collection`), since a chunk holds
    one vector."""
    collection = collection or collection_for(documents_path)
    rows = list(_read_jsonl(documents_path))
    if Document.objects.filter(collection=collection).count() == len(rows):
        return collection, 0
    Document.objects.filter(collection=collection).delete()
    batch = 200  # one transaction per batch: far fewer commits than one per document
    for first in range(0, len(rows), batch):
        with transaction.atomic():
            for index, row in enumerate(rows[first : first + batch], start=first + 1):
                text = str(row.get("text") or "").strip()
                if not text:
                    continue
                services.document_create(
                    title=str(row.get("title") or "").strip() or str(row["id"]),
                    text=text,
                    collection=collection,
                    status=Document.Status.PUBLISHED,
                    slug=f"d-{index}",
                    external_id=str(row["id"]),
                    # External ids are unique per source: a second collection of the same file is a
                    # source of its own.
                    source="eval"
                    if collection == collection_for(documents_path)
                    else f"eval-{collection[-12:]}",
                    embed_async=False,
                )
        if progress:
            progress(min(first + batch, len(rows)), len(rows))
    return collection, len(rows)


def collection_embed(
    collection: str, *, progress: Progress | None = None, batch_size: int = 128, model: str | None = None
) -> int:
    """Embed every dirty chunk of a collection in large batches (with the active model, or `model`), then
    activate its versions."""
    if model is not None:
        # Chunks a worker or a model switch gave another model's vector are embedded again.
        Chunk.objects.filter(document__collection=collection).exclude(embedding_model=model).update(
            dirty=True
        )
    pending = Chunk.objects.filter(document__collection=collection, dirty=True)
    total = pending.count()
    done = 0
    while True:
        ids = list(pending.order_by("id").values_list("id", flat=True)[:batch_size])
        if not ids:
            break
        with transaction.atomic():
            done += chunks_embed_ids(ids=ids, model=model)
        if progress:
            progress(done, total)
    for version in DocumentVersion.objects.filter(document__collection=collection).exclude(
        state=DocumentVersion.State.ACTIVE
    ):
        version_activate(version=version)
    if done or not KeywordCorpus.objects.filter(collection=collection).exists():
        keyword_stats_refresh(collection=collection)
    return done


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    gold: frozenset[str]
    turns: tuple[Turn, ...] = ()
    scenario: str = ""


def queries_load(path: Path, *, input_mode: str) -> list[Query]:
    queries = []
    for row in _read_jsonl(path):
        gold = frozenset(str(g) for g in row.get("gold_doc_ids") or [])
        if not gold:
            continue
        scenario = str(row.get("scenario") or "")
        turns: tuple[Turn, ...] = ()
        if input_mode == "conversation" and row.get("dialogue"):
            turns = tuple(
                Turn(role=str(t.get("role", "user")), text=str(t.get("text", ""))) for t in row["dialogue"]
            )
            text = conversation_query(turns, scenario)
        else:
            text = question_query(str(row.get("query") or ""), scenario)
        queries.append(Query(id=str(row.get("id")), text=text, gold=gold, turns=turns, scenario=scenario))
    return queries


def _formed(query: Query, collection: str) -> tuple[str, tuple[str, ...]]:
    """The search text and the focus titles of a query: for a conversation, the same query formation as the
    agent console (latest turns, and the documents they name)."""
    if query.turns:
        formed = conversation_search(query.turns, collection=collection, scenario=query.scenario)
        return formed.text, formed.focus_titles
    return query.text, ()


def _search(collection: str, query: Query, *, depth: int, model: str | None = None) -> list[RetrievedChunk]:
    text, focus = _formed(query, collection)
    # Evaluation runs where the model is loaded (it embedded the collection): no worker round trip, and the
    # latency measured is the search's own.
    with local_query_embedding():
        vector = query_embed(text=text, model=model) if model and text.strip() else query_vector(text)
    return chunks_search(
        scope=RetrievalScope(collection=collection, staff_roles=frozenset({ADMINISTRATOR})),
        text=text,
        vector=vector,
        k=depth,
        pool=max(50, depth * 5),
        max_per_document=1,
        focus_titles=focus,
    )


def evaluate(
    collection: str,
    queries: list[Query],
    *,
    k: int = 10,
    progress: Progress | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Rank documents for each query (distinct documents, best chunk first) and score against gold ids.
    `model`: the model the collection was embedded with, when it is not the active one."""
    external = dict(Document.objects.filter(collection=collection).values_list("id", "external_id"))
    depth = max(k, 10)
    sums = {f"recall@{n}": 0.0 for n in KS} | {f"hit@{n}": 0.0 for n in KS} | {"mrr@10": 0.0}
    latencies: list[float] = []
    for index, query in enumerate(queries, start=1):
        started = time.perf_counter()
        results = _search(collection, query, depth=depth, model=model)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = [external[r.document_id] for r in results]
        for n in KS:
            found = len(query.gold & set(ranked[:n]))
            sums[f"recall@{n}"] += found / len(query.gold)
            sums[f"hit@{n}"] += 1.0 if found else 0.0
        first = next((i for i, doc in enumerate(ranked[:10], start=1) if doc in query.gold), None)
        sums["mrr@10"] += 1.0 / first if first else 0.0
        if progress:
            progress(index, len(queries))
    count = len(queries)
    report: dict[str, Any] = {"n": count}
    for key in ("recall@1", "recall@5", "recall@10", "hit@1", "hit@5", "hit@10", "mrr@10"):
        report[key] = round(sums[key] / count, 4) if count else 0.0
    ordered = sorted(latencies)
    report["latency_ms_p50"] = round(statistics.median(ordered), 2) if ordered else 0.0
    report["latency_ms_p95"] = round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2) if ordered else 0.0
    return report


def adaptation_pairs(
    collection: str,
    queries: Sequence[Query],
    *,
    config: AdaptConfig,
    progress: Progress | None = None,
) -> list[TrainingPair]:
    """Training pairs from a queries file's rows: each question (formed as the search forms it) with the
    passages of its gold documents, and as hard negatives the nearest passages of other documents by the
    collection's current vectors."""
    passages: dict[str, list[str]] = {}
    hashes: dict[str, str] = {}
    for chunk in (
        Chunk.objects.filter(document__collection=collection, version_id=F("document__active_version_id"))
        .order_by("document_id", "ordinal")
        .values("document__external_id", "title", "heading_path", "text", "content_hash")
    ):
        text = embedding_text(chunk["title"], chunk["heading_path"], chunk["text"])
        passages.setdefault(chunk["document__external_id"], []).append(text)
        hashes[text] = chunk["content_hash"]
    texts = [_formed(query, collection)[0] for query in queries]
    negatives = (
        hard_negatives_mine(
            collection,
            texts,
            [{t for doc in query.gold for t in passages.get(doc, ())} for query in queries],
            count=config.hard_negatives,
            progress=progress,
        )
        if config.hard_negatives
        else [() for _ in queries]
    )
    pairs: list[TrainingPair] = []
    for query, text, wrong in zip(queries, texts, negatives, strict=True):
        gold = [doc for doc in sorted(query.gold) if doc in passages][: config.max_positives_per_query]
        for doc in gold:
            # A long gold document trains on its first passage (the datasets' documents are one passage).
            pairs.append(TrainingPair(query=text, positive=passages[doc][0], negatives=tuple(wrong)))
    return pairs


def adapted_collection(collection: str, model: str) -> str:
    """The collection a documents file is evaluated in with an adapted model."""
    return f"{collection}-{hashlib.sha256(model.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class Adapted:
    """A documents file's collection embedded with a model adapted on a queries file's pairs."""

    collection: str
    model: str
    pairs: int
    seconds: float
    reused: bool


def collection_adapt(
    documents_path: Path,
    collection: str,
    training: Sequence[Query],
    *,
    config: AdaptConfig | None = None,
    mining: Progress | None = None,
    training_progress: Progress | None = None,
    embedding_progress: Progress | None = None,
) -> Adapted:
    """Adapt the active model on `training` (hard negatives mined from `collection`, which its vectors
    index), then load and embed the documents again with the adapted model in a collection of its own. The
    model is kept by the hash of base, pairs and settings: a rerun trains nothing."""
    config = config or AdaptConfig.configured()
    pairs = adaptation_pairs(collection, training, config=config, progress=mining)
    if len(pairs) < 2:
        raise ValueError(
            "The adaptation file has fewer than two questions with gold documents in this library."
        )
    model, result = model_train_cached(
        base_model=active_model(), pairs=pairs, config=config, progress=training_progress
    )
    adapted = adapted_collection(collection, model)
    collection_load(documents_path, collection=adapted)
    collection_embed(adapted, model=model, progress=embedding_progress)
    return Adapted(
        collection=adapted, model=model, pairs=len(pairs), seconds=result.seconds, reused=result.reused
    )
