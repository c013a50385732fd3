"""Retrieved passages as values, for tests of prompts and grounding that need no database."""

from __future__ import annotations

from assist.contracts import CitedPassage
from knowledge.contracts import RetrievedChunk


def cited_passage(
    marker: int, text: str, *, title: str = "Refunds for software", heading: tuple[str, ...] = ("Refunds",)
) -> CitedPassage:
    """Passage `[marker]` with ids derived from the marker: chunk 300+n, document 100+n, version 200+n."""
    return CitedPassage(
        marker=marker,
        chunk=RetrievedChunk(
            chunk_id=300 + marker,
            document_id=100 + marker,
            version_id=200 + marker,
            document_title=title,
            document_slug=f"doc-{marker}",
            kind="policy",
            heading_path=heading,
            text=text,
            vector_score=0.7,
            keyword_score=2.0,
            fused_score=1.2,
        ),
    )
