"""Values passed between the console's context assembly, prompt building, grounding and the Suggestion
pipeline. Frozen, so what was assembled for a draft is exactly what gets recorded."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.contracts import RetrievedChunk


@dataclass(frozen=True)
class Section:
    """One budgeted part of the context. `text` is already within `budget` characters; `truncated` says
    whether something was left out (the text itself says so too)."""

    name: str
    budget: int
    text: str
    truncated: bool


@dataclass(frozen=True)
class CitedPassage:
    """A retrieved passage with the marker the draft cites it by (`[1]`, `[2]`, ...)."""

    marker: int
    chunk: RetrievedChunk

    @property
    def heading(self) -> str:
        """The heading path as one line (`Refunds › Annual plans`), as prompts and citations show it."""
        return " › ".join(self.chunk.heading_path)


@dataclass(frozen=True)
class TicketContext:
    """Everything assembled for one draft of one ticket."""

    ticket_id: int
    customer_id: int
    customer_name: str
    language: str
    question: str
    sections: tuple[Section, ...]
    passages: tuple[CitedPassage, ...]
    retrieval_query: str
    vector_search: str
    retrieval_ms: float
    context_ms: float
    situation: tuple[str, ...] = ()
    """One line per incident now affecting the customer's products (what the incidents section shows)."""
    retrieval_notice: str = ""
    """Why vector search did not take part in ranking the passages, in words; empty when it did."""


@dataclass(frozen=True)
class Citation:
    """A marker in the draft, resolved to the passage retrieved for that draft."""

    marker: int
    document_id: int
    version_id: int
    chunk_id: int
    title: str
    heading: str
    quote: str


FLAG_KINDS = ("unsupported", "unknown_link", "unknown_email", "removed_marker")


@dataclass(frozen=True)
class GroundingFlag:
    """Something in the draft the agent should check: `kind` is "unsupported" (a cited sentence its passage
    does not back), "unknown_link" or "unknown_email" (in no source), or "removed_marker" (a marker that
    named no retrieved passage and was taken out)."""

    kind: str
    text: str
    marker: int | None = None


@dataclass(frozen=True)
class Grounding:
    """The draft after citation checks: unknown markers removed, the citations it keeps, and the flags."""

    text: str
    citations: tuple[Citation, ...]
    flags: tuple[GroundingFlag, ...]
