"""Retrieval latency at scale: `selectors.chunks_search` over a 100k-chunk live library, as a customer would
be served (plan, organization, language and products in the scope), with and without embedding the query.

The library is the live collection of the benchmark database (only live chunks are in the HNSW index, as
in production); its documents are marked by their `source`. It is built once and kept (a later run finds
it complete and reuses it). Chunk texts are
paragraphs of the dataset documents, headed like a help centre. A few thousand of them get real vectors
(embedded once; the embedding cache keeps them for the next build); every other chunk is a variation of one
of those (its sentences reordered, one swapped for another) with that chunk's vector slightly perturbed and
re-normalised, so vectors cluster the way real near-duplicate passages do. Documents get a realistic mix of
audiences, products, languages, validity dates and statuses, so the filters really filter. Rows are written
in bulk (COPY), and the HNSW index is rebuilt once afterwards rather than grown row by row.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from knowledge import api, embedding, selectors, services
from knowledge.chunking import approx_token_count, embedding_text
from knowledge.contracts import RetrievalScope
from knowledge.models import LIVE, Chunk, Document, DocumentVersion, EmbeddingCache
from support.customers.models import Organization, Plan, Product

from . import corpus
from .report import Row, Target, percentile, progress_bar, say

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
        collection=LIVE,
    )


ROWS = (
    "latency p50 without query embedding",
    "latency p95 without query embedding",
    "latency p50 with query embedding",
    "latency p95 with query embedding",
)

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
)
HNSW_INDEX = "chunk_embedding_hnsw"


def source_name(chunks: int) -> str:
    """The `source` that marks the library's documents: the build and the size."""
    return f"bench-latency-{BUILD}-{chunks}"


def run(datasets: Path, *, chunks: int = 100_000, queries: int = 200) -> list[Row]:
    source = source_name(chunks)
    hnsw_ensure()
    if _complete(source, chunks):
        say(f"latency: reusing the {chunks}-chunk library {source}")
    else:
        build(source, chunks, corpus.passages(datasets))
    texts = _queries(datasets, queries)
    scope = customer_scope()
    visible = selectors.searchable_chunks(scope).count()
    total = Chunk.objects.filter(collection=LIVE).count()
    say(
        f"latency: {len(texts) - WARMUP_QUERIES} queries after {WARMUP_QUERIES} to warm up; "
        f"the customer's scope sees {visible} of the {total} live chunks"
    )
    vectors = embedding.embed(texts)

    def search(text: str, vector: Sequence[float] | None) -> int:
        return len(selectors.chunks_search(scope=scope, text=text, vector=vector, k=10))

    # The benchmark process holds the model, so it embeds queries itself (as a worker process would).
    with api.local_query_embedding():
        for text, vector in list(zip(texts, vectors, strict=True))[:WARMUP_QUERIES]:
            search(text, vector)
            search(text, api.query_vector(text))
        texts, vectors = texts[WARMUP_QUERIES:], vectors[WARMUP_QUERIES:]
        without = _timed("searching, vectors given", texts, lambda i: search(texts[i], vectors[i]))
        with_embedding = _timed(
            "searching, embedding the query", texts, lambda i: search(texts[i], api.query_vector(texts[i]))
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


def _complete(source: str, chunks: int) -> bool:
    documents = Document.objects.filter(collection=LIVE, source=source)
    return (
        documents.count() == -(-chunks // CHUNKS_PER_DOCUMENT)
        and not documents.filter(active_version__isnull=True).exists()
        and Chunk.objects.filter(document__in=documents, dirty=False).count() == chunks
    )


def hnsw_ensure() -> None:
    """Recreate the vector index if a build was interrupted between dropping and rebuilding it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [HNSW_INDEX])
        if cursor.fetchone() is None:
            say("latency: building the missing HNSW index")
            _unbounded(cursor)
            _hnsw_build(cursor)


def _unbounded(cursor: Any) -> None:
    """Lift the statement timeout for this transaction: bulk writes and index builds take minutes."""
    cursor.execute("SET LOCAL statement_timeout = 0")


def _hnsw_build(cursor: Any) -> None:
    """The vector index exactly as the model declares it (and the migrations build it)."""
    cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
    index = next(index for index in Chunk._meta.indexes if index.name == HNSW_INDEX)
    with connection.schema_editor(atomic=False) as editor:
        editor.add_index(Chunk, index)


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


def build(source: str, chunks: int, passages: list[corpus.Passage]) -> None:
    started = time.monotonic()
    say(f"latency: building the live library {source} ({chunks} chunks; kept for the next runs)")
    _libraries_drop()
    _taxonomy_ensure()
    pool = corpus.paragraphs(passages, min_tokens=40, max_tokens=140)
    documents, real = _plans(pool, chunks, random.Random(2026))
    vectors = _real_vectors(real)
    with transaction.atomic():
        _insert(source, documents, vectors, np.random.default_rng(2026))
    with connection.cursor() as cursor:
        # What autovacuum would soon do to a freshly loaded table: visibility map, hint bits, statistics.
        for table in ("knowledge_chunk", "knowledge_document", "knowledge_documentversion"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    # And what the workers do after versions go live (COPY bypasses them): the keyword statistics, without
    # which every query word would look rare and keyword search would read far more than its budget.
    services.keyword_stats_refresh(collection=LIVE)
    say(f"latency: built in {time.monotonic() - started:.0f} s")


def _libraries_drop() -> None:
    """Earlier latency libraries (another size or build) would only slow every search down."""
    stale = Document.objects.filter(
        Q(source__startswith="bench-latency-") | Q(collection__startswith="bench-latency-")
    )
    if stale.exists():
        with progress_bar("dropping earlier latency libraries", unit="step", total=1) as progress:
            with transaction.atomic(), connection.cursor() as cursor:
                _unbounded(cursor)
                ids = list(stale.values_list("pk", flat=True))
                cursor.execute(
                    "UPDATE knowledge_document SET active_version_id = NULL WHERE id = ANY(%s)", [ids]
                )
                cursor.execute("DELETE FROM knowledge_chunk WHERE document_id = ANY(%s)", [ids])
                cursor.execute("DELETE FROM knowledge_documentversion WHERE document_id = ANY(%s)", [ids])
                stale.delete()
            progress(1, 1)


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
            real.append(embedding_text(document.title, [heading], text))
            real_texts.append(text)
        else:
            base = rng.randrange(real_count) if len(real) == real_count else rng.randrange(len(real))
            heading = pool[order[rng.randrange(len(order))]].title
            document.chunks.append((heading, _variation(real_texts[base], sentences, rng), base, False))
    return documents, real


def _real_vectors(texts: list[str]) -> np.ndarray:
    """Vectors of the real chunks: from the embedding cache, the rest embedded now (and cached)."""
    model = services.active_model()
    hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    cached = dict(
        EmbeddingCache.objects.filter(model=model, content_hash__in=set(hashes)).values_list(
            "content_hash", "embedding"
        )
    )
    missing = sorted({h: i for i, h in enumerate(hashes) if h not in cached}.values())
    if missing:
        with progress_bar("embedding real chunks", unit="text", total=len(texts)) as progress:
            done = len(texts) - len(missing)
            progress(done, len(texts))
            for start in range(0, len(missing), 256):
                part = missing[start : start + 256]
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
                progress(done, len(texts))
    return np.asarray([cached[h] for h in hashes], dtype=np.float32)


def _variation(text: str, sentences: list[str], rng: random.Random) -> str:
    """The same passage reworded the cheap way: sentences reordered, one replaced by another passage's."""
    parts = corpus.sentences(text)
    rng.shuffle(parts)
    parts[rng.randrange(len(parts))] = rng.choice(sentences)
    return " ".join(parts)


def _document_plan(number: int, rng: random.Random, today: date) -> _Plan:
    audience = rng.choices(
        [
            Document.Audience.PUBLIC,
            Document.Audience.PLANS,
            Document.Audience.ORGANIZATIONS,
            Document.Audience.INTERNAL,
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
    status = rng.choices(
        [Document.Status.PUBLISHED, Document.Status.DRAFT, Document.Status.ARCHIVED], weights=[95, 3, 2]
    )[0]
    plan = _Plan(
        title="",
        fields={
            "slug": f"l-{number}",
            "kind": rng.choice(Document.Kind.values),
            "status": status,
            "language": rng.choices([code for code, _ in LANGUAGES], weights=[w for _, w in LANGUAGES])[0],
            "valid_from": valid_from,
            "valid_until": valid_until,
            "audience": audience,
            "audience_roles": [rng.choice(STAFF_ROLES)] if audience == Document.Audience.INTERNAL else [],
        },
    )
    if rng.random() < 0.6:
        plan.products = rng.sample(PRODUCTS, rng.randint(1, 2))
    if audience == Document.Audience.PLANS:
        plan.plans = rng.sample([code for code, _, _ in PLANS], rng.randint(1, 2))
    if audience == Document.Audience.ORGANIZATIONS:
        plan.organizations = rng.sample(ORGANIZATIONS, rng.randint(1, 3))
    return plan


def _insert(source: str, plans: list[_Plan], vectors: np.ndarray, noise: np.random.Generator) -> None:
    model = services.active_model()
    now = timezone.now()
    with connection.cursor() as cursor:
        _unbounded(cursor)
    documents = Document.objects.bulk_create(
        [Document(collection=LIVE, title=p.title, source=source, **p.fields) for p in plans],
        batch_size=1000,
    )
    _relations_insert(documents, plans)
    versions = DocumentVersion.objects.bulk_create(
        [_version(document, plan, now) for document, plan in zip(documents, plans, strict=True)],
        batch_size=1000,
    )
    total = sum(len(p.chunks) for p in plans)
    with connection.cursor() as cursor:
        # Growing an HNSW graph row by row is far slower than building it once over every row.
        cursor.execute(f"DROP INDEX IF EXISTS {HNSW_INDEX}")
        with (
            progress_bar("writing chunks", unit="chunk", total=total) as progress,
            cursor.copy(f"COPY knowledge_chunk ({', '.join(_CHUNK_COLUMNS)}) FROM STDIN") as copy,
        ):
            done = 0
            for document, version, plan in zip(documents, versions, plans, strict=True):
                for ordinal, (heading, text, base, is_real) in enumerate(plan.chunks):
                    vector = vectors[base]
                    if not is_real:
                        vector = vector + noise.normal(0.0, NOISE, vector.shape[0]).astype(np.float32)
                    copy.write_row(
                        (
                            version.pk,
                            document.pk,
                            LIVE,
                            ordinal,
                            plan.title,
                            [heading],
                            heading,
                            text,
                            approx_token_count(text),
                            hashlib.sha256(embedding_text(plan.title, [heading], text).encode()).hexdigest(),
                            _vector_literal(vector),
                            model,
                            False,
                        )
                    )
                done += len(plan.chunks)
                progress(done, total)
        cursor.execute(
            "UPDATE knowledge_document AS d SET active_version_id = v.id "
            "FROM knowledge_documentversion AS v WHERE v.document_id = d.id AND d.source = %s",
            [source],
        )
        # Django's foreign keys are checked at commit; an index cannot be built while checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with progress_bar("building the HNSW index", unit="index", total=1) as progress:
            _hnsw_build(cursor)
            progress(1, 1)


def _relations_insert(documents: list[Document], plans: list[_Plan]) -> None:
    products = dict(Product.objects.filter(code__in=PRODUCTS).values_list("code", "pk"))
    plan_ids = dict(Plan.objects.filter(code__in=[c for c, _, _ in PLANS]).values_list("code", "pk"))
    organizations = dict(Organization.objects.filter(slug__in=ORGANIZATIONS).values_list("slug", "pk"))
    pairs = list(zip(documents, plans, strict=True))
    Document.products.through.objects.bulk_create(
        [
            Document.products.through(document_id=d.pk, product_id=products[code])
            for d, p in pairs
            for code in p.products
        ],
        batch_size=5000,
    )
    Document.audience_plans.through.objects.bulk_create(
        [
            Document.audience_plans.through(document_id=d.pk, plan_id=plan_ids[code])
            for d, p in pairs
            for code in p.plans
        ],
        batch_size=5000,
    )
    Document.audience_organizations.through.objects.bulk_create(
        [
            Document.audience_organizations.through(document_id=d.pk, organization_id=organizations[slug])
            for d, p in pairs
            for slug in p.organizations
        ],
        batch_size=5000,
    )


def _version(document: Document, plan: _Plan, now: Any) -> DocumentVersion:
    text = f"# {plan.title}\n\n" + "\n\n".join(
        f"## {heading}\n\n{body}" for heading, body, _, _ in plan.chunks
    )
    return DocumentVersion(
        document=document,
        number=1,
        title=plan.title,
        text=text,
        content_hash=hashlib.sha256(f"{plan.title}\n\n{text}".encode()).hexdigest(),
        note="benchmark library",
        state=DocumentVersion.State.ACTIVE,
        chunks_total=len(plan.chunks),
        chunks_embedded=len(plan.chunks),
        activated_at=now,
        created_at=now,
    )


def _vector_literal(vector: np.ndarray) -> str:
    unit = vector / np.linalg.norm(vector)
    return "[" + ",".join(f"{x:.6f}" for x in unit.tolist()) + "]"
