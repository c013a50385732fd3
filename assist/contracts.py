"""Values passed between the console's context assembly, prompt building, grounding and the Suggestion
pipeline. Frozen, so what was assembled for a draft is exactly what gets recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from knowledge.api import InstructionFinding
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
    planted: tuple[InstructionFinding, ...] = ()
    """Sentences written to a model that were taken out of `chunk.text` (see `safety.passages_screen`)."""

    @property
    def internal(self) -> bool:
        """From a staff-only document: it may inform the agent's note, never the customer's reply."""
        return self.chunk.audience == "internal"

    @property
    def heading(self) -> str:
        """The heading path as one line (`Refunds › Annual plans`), as prompts and citations show it."""
        return " › ".join(self.chunk.heading_path)


@dataclass(frozen=True)
class PrecedentReply:
    """A reply an agent sent on a similar solved ticket the requesting user may see, redacted: no other
    customer's name, e-mail, phone, order or account number is left in `reply`."""

    ticket_id: int
    subject: str
    similarity: float
    question: str
    reply: str
    turn: int = 0
    """Which of the ticket's replies this is: 0 the first answer, 1 the answer to the first follow-up..."""
    question_similarity: float | None = None
    """How close `question` (the message this reply answered) is to the customer's latest question."""


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
    staff_notes: tuple[str, ...] = ()
    """The ticket's internal notes as written: a draft that repeats one is stopped before the customer."""
    precedents: tuple[PrecedentReply, ...] = ()
    """Similar solved tickets and what the agent sent on them, closest first (redacted)."""
    reply_language: str = ""
    """The language the reply is to be written in: the one the customer writes in, the profile's as a hint."""
    agent_name: str = ""
    """Who the draft is for: the reply is signed with this name."""
    agent_turns: tuple[str, ...] = ()
    """The conversation's earlier public agent replies (the last few, oldest first)."""
    relevance: Mapping[str, float] = field(default_factory=dict)
    """Passage sentence -> similarity in meaning with the search query (see `context._relevance`)."""
    subject: str = ""


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


FLAG_KINDS = (
    "unsupported",
    "uncited_claim",
    "contradicted",
    "unknown_link",
    "unknown_email",
    "removed_marker",
    "removed_instruction",
    "removed_link",
    "removed_contact",
    "internal_text",
    "planted_instruction",
    "internal_source",
    "other_language",
)


@dataclass(frozen=True)
class GroundingFlag:
    """Something in the draft the agent should check. `kind`:
    - "unsupported": a cited sentence its passage does not back (too few of its words, or a figure it does
      not state);
    - "uncited_claim": a sentence that states a fact (a figure, a price, a time limit, a date, an
      entitlement, a negation) with no marker, which no support text backs: no reply sent on a similar
      ticket, nothing on the customer's record (`reason` names a passage that seems to say it, if one does);
    - "contradicted": a sentence that says the opposite of the passage sentence that best matches it (a
      negation in one and not the other), or another figure for the same thing; `marker` is that passage's;
    - "unknown_link", "unknown_email": in no source (drafts made before links were screened);
    - "removed_marker": a marker that named no retrieved passage, taken out;
    - "removed_instruction": a sentence that read as, or repeated, text written to a model, taken out;
    - "removed_link", "removed_contact": a link, an image, an e-mail address or a phone number neither on
      the company's domains nor in the documents, or another customer's, taken out;
    - "internal_text": a sentence repeating an internal document or a staff note, taken out;
    - "planted_instruction": a passage held text written to a model, left out of what the model saw;
    - "internal_source": an internal document informed the draft (see the agent's note);
    - "other_language": the answer comes from documents in another language than the customer writes.
    `reason` says it in words for the agent."""

    kind: str
    text: str
    marker: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Grounding:
    """The draft after citation checks: unknown markers removed, the citations it keeps, and the flags."""

    text: str
    citations: tuple[Citation, ...]
    flags: tuple[GroundingFlag, ...]
