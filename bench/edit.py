"""Edit locality: saving a new version of a ~50-chunk document with one paragraph changed must send at most
two chunks to the embedding model (the one holding the edit and, through the overlap, the next)."""

from __future__ import annotations

from pathlib import Path

from knowledge import api as knowledge

from . import corpus
from .report import Row, Target, say

COLLECTION = "bench-edit"
TITLE = "Account and billing handbook"
MAX_REEMBEDDED = 2
ROW = "edit: chunks re-embedded after changing 1 paragraph"
EDIT = " Customers on an annual plan should contact support before making this change."


def handbook(pool: list[corpus.Passage], *, chunks: int) -> list[tuple[str, list[str]]]:
    """Headed sections of two to four paragraphs, enough for about `chunks` chunks."""
    paragraphs = corpus.paragraphs(pool, min_tokens=40, max_tokens=110)
    sections: list[tuple[str, list[str]]] = []
    position = 0
    while len(knowledge.chunk_texts(title=TITLE, text=render(sections))) < chunks:
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
    knowledge.documents_delete(collection=COLLECTION)
    first = _stored(render(sections))
    knowledge.version_embed(first)
    cached = knowledge.embedding_cache_size()
    sent = knowledge.texts_embedded()
    second = _stored(render(edited(sections)))
    knowledge.version_embed(second)
    sent = knowledge.texts_embedded() - sent
    created = knowledge.embedding_cache_size() - cached
    one, two = knowledge.versions_status([first, second])
    say(
        f"edit: {one.chunks_total} chunks in version 1, {two.chunks_total} in version 2; "
        f"{sent} sent to the model, {created} new cached vectors; version 2 is {two.state}"
    )
    if two.state != "active" or sent != created:
        raise RuntimeError(f"version 2 is {two.state}; {sent} texts embedded but {created} vectors cached")
    return [
        Row(f"{ROW} of a {one.chunks_total}-chunk document", sent, "chunks", Target("<=", MAX_REEMBEDDED))
    ]


def _stored(text: str) -> int:
    """Store the handbook's text (its first version, then the edited one), chunked, not embedded; the
    version's id."""
    result = knowledge.document_upsert(
        title=TITLE,
        text=text,
        external_id="handbook",
        source="bench",
        metadata={"status": "published"},
        embed_async=False,
        collection=COLLECTION,
    )
    if result.version_id is None:
        raise RuntimeError(f"the handbook could not be stored: {result.error}")
    return result.version_id
