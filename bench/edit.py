"""Edit locality: saving a new version of a ~50-chunk document with one paragraph changed must send at most
two chunks to the embedding model (the one holding the edit and, through the overlap, the next)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from knowledge import embedding, services
from knowledge.chunking import chunk_document
from knowledge.models import Document, EmbeddingCache

from . import corpus
from .report import Row, Target, say
from .store import collection_reset

COLLECTION = "bench-edit"
TITLE = "Account and billing handbook"
MAX_REEMBEDDED = 2
ROW = "edit: chunks re-embedded after changing 1 paragraph"
EDIT = " Customers on an annual plan should contact support before making this change."


@contextmanager
def texts_sent_to_model() -> Iterator[list[int]]:
    """Count the texts `knowledge.embedding.embed` is given while the block runs (one entry per call)."""
    calls: list[int] = []
    original: Callable[..., Any] = embedding.embed

    def counting(texts: list[str], **kwargs: Any) -> list[list[float]]:
        calls.append(len(texts))
        return original(texts, **kwargs)

    embedding.embed = counting  # type: ignore[assignment]
    try:
        yield calls
    finally:
        embedding.embed = original  # type: ignore[assignment]


def handbook(pool: list[corpus.Passage], *, chunks: int) -> list[tuple[str, list[str]]]:
    """Headed sections of two to four paragraphs, enough for about `chunks` chunks."""
    paragraphs = corpus.paragraphs(pool, min_tokens=40, max_tokens=110)
    count = embedding.token_counter(services.active_model())
    config = services.chunking_config()
    sections: list[tuple[str, list[str]]] = []
    position = 0
    while len(chunk_document(TITLE, render(sections), config, count)) < chunks:
        size = 2 + len(sections) % 3
        body = [paragraphs[(position + i) % len(paragraphs)].text for i in range(size)]
        sections.append((paragraphs[position % len(paragraphs)].title.capitalize(), body))
        position += size
    return sections


def render(sections: list[tuple[str, list[str]]]) -> str:
    return f"# {TITLE}\n\n" + "\n\n".join(f"## {h}\n\n" + "\n\n".join(body) for h, body in sections)


def edited(sections: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The same sections with one paragraph in the middle of the document given one more sentence."""
    middle = len(sections) // 2
    heading, body = sections[middle]
    body = list(body)
    body[len(body) // 2] += EDIT
    return [*sections[:middle], (heading, body), *sections[middle + 1 :]]


def run(datasets: Path, *, chunks: int = 50) -> list[Row]:
    sections = handbook(corpus.passages(datasets), chunks=chunks)
    collection_reset(COLLECTION)
    document = services.document_create(
        title=TITLE,
        text=render(sections),
        collection=COLLECTION,
        status=Document.Status.PUBLISHED,
        source="bench",
        embed_async=False,
    )
    first = document.versions.get()
    services.version_embed(version_id=first.pk)
    cached = EmbeddingCache.objects.count()
    with texts_sent_to_model() as calls:
        second = services.version_create(
            document=document, text=render(edited(sections)), note="one paragraph changed", embed_async=False
        )
        services.version_embed(version_id=second.pk)
    second.refresh_from_db()
    sent, created = sum(calls), EmbeddingCache.objects.count() - cached
    say(
        f"edit: {first.chunks_total} chunks in version 1, {second.chunks_total} in version 2; "
        f"{sent} sent to the model, {created} new cached vectors; version 2 is {second.state}"
    )
    if second.state != "active" or sent != created:
        raise RuntimeError(f"version 2 is {second.state}; {sent} texts embedded but {created} vectors cached")
    return [
        Row(f"{ROW} of a {first.chunks_total}-chunk document", sent, "chunks", Target("<=", MAX_REEMBEDDED))
    ]
