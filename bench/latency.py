"""Retrieval latency at scale: hybrid search (`knowledge.api.retrieve_with_status`) over a 100k-chunk live
library, as a customer would be served (plan, organization, language and products in the scope), with and
without embedding the query.

The library is the live collection of the benchmark database (only live chunks are in the HNSW index, as
in production); its documents are marked by their `source`. It is built once and kept (a later run finds
it complete and reuses it). Chunk texts are
paragraphs of the dataset documents, headed like a help centre. A few thousand of them get real vectors
(embedded once; the embedding cache keeps them for the next build); every other chunk is a variation of one
of those (its sentences reordered, one swapped for another) with that chunk's vector slightly perturbed and
re-normalised, so vectors cluster the way real near-duplicate passages do. Documents get a realistic mix of
audiences, products, languages, validity dates and statuses, so the filters really filter. The library is
loaded in bulk (`knowledge.api.library_bulk_load`: COPY, and one HNSW index build afterwards).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.utils import timezone

from knowledge import api as knowledge
from knowledge.contracts import LibraryChunk, LibraryDocument, RetrievalScope
from support.customers.models import Organization, Plan, Product

from . import corpus
from .report import Row, Target, percentile, progress_bar, say, stage_bars

BUILD = 2  # bump when the way the library is built changes, so an old one is rebuilt
CHUNKS_PER_DOCUMENT = 20
REAL_VECTORS = 5000
NOISE = 0.02  # per-dimension standard deviation: a variation keeps a cosine similarity of ~0.93
WARMUP_QUERIES = 20
P95_WITHOUT_MS, P95_WITH_MS = 25.0, 55.0

PLANS = (("starter", "Starter", 1), ("growth", "Growth", 2), ("enterprise", "Enterprise", 3))
PRODUCTS = (
    "accounting",
    "payroll",
    "point-of-sale",
    "card-reader",
    "invoicing",
    "inventory",
    "bank-feeds",
    "time-tracking",
)
ORGANIZATIONS = tuple(f"bench-org-{n:02d}" for n in range(1, 31))
STAFF_ROLES = ("agent", "knowledge_admin")
KINDS = ("policy", "faq", "troubleshooting", "product", "announcement")  # every document kind
LANGUAGES = (("en", 0.8), ("de", 0.1), ("fr", 0.1))


def customer_scope() -> RetrievalScope:
    """Whom the timed searches serve: an agent answering a Growth customer of one organization, in English,
    about two products."""
    return RetrievalScope(
        staff_roles=frozenset({"agent"}),
        for_customer=True,
        customer_plan="growth",
        customer_organization="bench-org-07",
        language="en",
        products=("accounting", "payroll"),
    )


ROWS = (
    "latency p50 without query embedding",
    "latency p95 without query embedding",
    "latency p50 with query embedding",
    "latency p95 with query embedding",
)

# The stages `knowledge.api` reports while building: the bar each gets here, and its unit.
STAGES = {
    "dropping libraries": ("dropping earlier latency libraries", "step"),
    "embedding texts": ("embedding real chunks", "text"),
    "writing chunks": ("writing chunks", "chunk"),
    "building the HNSW index": ("building the HNSW index", "index"),
}


def source_name(chunks: int) -> str:
    """The `source` that marks the library's documents: the build and the size."""
    return f"bench-latency-{BUILD}-{chunks}"


def run(datasets: Path, *, chunks: int = 100_000, queries: int = 200) -> list[Row]:
    source = source_name(chunks)
    if knowledge.vector_index_ensure():
        say("latency: built the missing HNSW index")
    if knowledge.library_complete(source=source, documents=-(-chunks // CHUNKS_PER_DOCUMENT), chunks=chunks):
        say(f"latency: reusing the {chunks}-chunk library {source}")
    else:
        build(source, chunks, corpus.passages(datasets))
    texts = _queries(datasets, queries)
    scope = customer_scope()
    visible = knowledge.searchable_chunk_count(scope)
    total = knowledge.chunk_count(collection=scope.collection)
    say(
        f"latency: {len(texts) - WARMUP_QUERIES} queries after {WARMUP_QUERIES} to warm up; "
        f"the customer's scope sees {visible} of the {total} live chunks"
    )
    _, vectors = knowledge.text_vectors(texts)

    def search(text: str, vector: Sequence[float] | None) -> int:
        found = knowledge.retrieve_with_status(text, scope=scope, k=10, vector=vector, use_vectors=False)
        return len(found.chunks)

    # The benchmark process holds the model, so it embeds queries itself (as a worker process would).
    with knowledge.local_query_embedding():
        for text, vector in list(zip(texts, vectors, strict=True))[:WARMUP_QUERIES]:
            search(text, vector)
            search(text, knowledge.query_vector(text))
        texts, vectors = texts[WARMUP_QUERIES:], vectors[WARMUP_QUERIES:]
        without = _timed("searching, vectors given", texts, lambda i: search(texts[i], vectors[i]))
        with_embedding = _timed(
            "searching, embedding the query",
            texts,
            lambda i: search(texts[i], knowledge.query_vector(texts[i])),
        )
    return [
        Row(ROWS[0], percentile(without, 0.50), "ms", Target("<=", P95_WITHOUT_MS)),
        Row(ROWS[1], percentile(without, 0.95), "ms", Target("<=", P95_WITHOUT_MS)),
        Row(ROWS[2], percentile(with_embedding, 0.50), "ms", Target("<=", P95_WITH_MS)),
        Row(ROWS[3], percentile(with_embedding, 0.95), "ms", Target("<=", P95_WITH_MS)),
    ]


def _timed(label: str, texts: list[str], call: Callable[[int], int]) -> list[float]:
    timings: list[float] = []
    short = 0
    with progress_bar(label, unit="query", total=len(texts)) as progress:
        for index in range(len(texts)):
            started = time.perf_counter()
            found = call(index)
            timings.append((time.perf_counter() - started) * 1000)
            short += found < 10
            progress(index + 1, len(texts))
    if short:
        say(f"latency: {short} of {len(texts)} queries found fewer than 10 chunks")
    return timings


def _queries(datasets: Path, count: int) -> list[str]:
    found = corpus.queries(datasets)
    random.Random(5).shuffle(found)
    return found[: count + WARMUP_QUERIES]


# --- building the library ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the builder decided for one document and its chunks."""

    title: str
    fields: dict[str, Any]
    products: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    # (heading, text, index of the real vector, whether the chunk *is* that real one or a variation of it)
    chunks: list[tuple[str, str, int, bool]] = field(default_factory=list)

    def document(self) -> LibraryDocument:
        return LibraryDocument(
            title=self.title,
            chunks=tuple(LibraryChunk(heading=heading, text=text) for heading, text, _, _ in self.chunks),
            products=tuple(self.products),
            plans=tuple(self.plans),
            organizations=tuple(self.organizations),
            **self.fields,
        )


def build(source: str, chunks: int, passages: list[corpus.Passage]) -> None:
    started = time.monotonic()
    say(f"latency: building the live library {source} ({chunks} chunks; kept for the next runs)")
    # Earlier latency libraries (another size or build) would only slow every search down.
    with stage_bars(STAGES) as progress:
        knowledge.libraries_drop(prefix="bench-latency-", progress=progress)
    _taxonomy_ensure()
    pool = corpus.paragraphs(passages, min_tokens=40, max_tokens=140)
    plans, real = _plans(pool, chunks, random.Random(2026))
    with stage_bars(STAGES) as progress:
        vectors = np.asarray(knowledge.text_vectors_cached(real, progress=progress), dtype=np.float32)
    with stage_bars(STAGES) as progress:
        knowledge.library_bulk_load(
            source=source,
            documents=[plan.document() for plan in plans],
            vectors=_chunk_vectors(plans, vectors, np.random.default_rng(2026)),
            progress=progress,
        )
    say(f"latency: built in {time.monotonic() - started:.0f} s")


def _taxonomy_ensure() -> None:
    for code, name, rank in PLANS:
        Plan.objects.get_or_create(code=code, defaults={"name": name, "rank": rank})
    for code in PRODUCTS:
        Product.objects.get_or_create(code=code, defaults={"name": code.replace("-", " ").title()})
    for slug in ORGANIZATIONS:
        Organization.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ").title()})


def _plans(pool: list[corpus.Passage], chunks: int, rng: random.Random) -> tuple[list[_Plan], list[str]]:
    """Every document with its chunks, and the embedding texts of the chunks that get real vectors (every
    `stride`-th chunk; the others are variations of a random real one)."""
    today = timezone.localdate()
    order = list(range(len(pool)))
    rng.shuffle(order)
    sentences = [s for p in pool for s in corpus.sentences(p.text)]
    real_count = min(REAL_VECTORS, chunks)
    stride = chunks // real_count
    documents: list[_Plan] = []
    real: list[str] = []
    real_texts: list[str] = []
    for position in range(chunks):
        if position % CHUNKS_PER_DOCUMENT == 0:
            documents.append(_document_plan(len(documents), rng, today))
            documents[-1].title = pool[order[(len(documents) * 13) % len(order)]].title
        document = documents[-1]
        if position % stride == 0 and len(real) < real_count:
            passage = pool[order[len(real) % len(order)]]
            heading, text = passage.title, passage.text
            document.chunks.append((heading, text, len(real), True))
            real.append(knowledge.embedding_text(document.title, [heading], text))
            real_texts.append(text)
        else:
            base = rng.randrange(real_count) if len(real) == real_count else rng.randrange(len(real))
            heading = pool[order[rng.randrange(len(order))]].title
            document.chunks.append((heading, _variation(real_texts[base], sentences, rng), base, False))
    return documents, real


def _variation(text: str, sentences: list[str], rng: random.Random) -> str:
    """The same passage reworded the cheap way: sentences reordered, one replaced by another passage's."""
    parts = corpus.sentences(text)
    rng.shuffle(parts)
    parts[rng.randrange(len(parts))] = rng.choice(sentences)
    return " ".join(parts)


def _document_plan(number: int, rng: random.Random, today: date) -> _Plan:
    audience = rng.choices(
        [
            "public",
            "plans",
            "organizations",
            "internal",
        ],
        weights=[55, 20, 10, 15],
    )[0]
    valid_from = valid_until = None
    validity = rng.random()
    if validity < 0.20:
        valid_from = today - timedelta(days=rng.randint(1, 700))
    elif validity < 0.30:
        valid_from = today - timedelta(days=rng.randint(400, 800))
        valid_until = today - timedelta(days=rng.randint(1, 300))  # expired
    elif validity < 0.35:
        valid_from = today + timedelta(days=rng.randint(1, 90))  # not yet valid
    status = rng.choices(["published", "draft", "archived"], weights=[95, 3, 2])[0]
    plan = _Plan(
        title="",
        fields={
            "slug": f"l-{number}",
            "kind": rng.choice(KINDS),
            "status": status,
            "language": rng.choices([code for code, _ in LANGUAGES], weights=[w for _, w in LANGUAGES])[0],
            "valid_from": valid_from,
            "valid_until": valid_until,
            "audience": audience,
            "audience_roles": (rng.choice(STAFF_ROLES),) if audience == "internal" else (),
        },
    )
    if rng.random() < 0.6:
        plan.products = rng.sample(PRODUCTS, rng.randint(1, 2))
    if audience == "plans":
        plan.plans = rng.sample([code for code, _, _ in PLANS], rng.randint(1, 2))
    if audience == "organizations":
        plan.organizations = rng.sample(ORGANIZATIONS, rng.randint(1, 3))
    return plan


def _chunk_vectors(
    plans: list[_Plan], vectors: np.ndarray, noise: np.random.Generator
) -> Iterator[np.ndarray]:
    """Every chunk's unit vector, in the order of the documents and their chunks: a real chunk's own, or a
    variation's real vector with noise added."""
    for plan in plans:
        for _, _, base, is_real in plan.chunks:
            vector = vectors[base]
            if not is_real:
                vector = vector + noise.normal(0.0, NOISE, vector.shape[0]).astype(np.float32)
            yield vector / np.linalg.norm(vector)
