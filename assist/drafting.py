"""One draft from one assembled context: the prompt, the backend's text, then the checks every draft gets.

`draft_write` is what the console's pipeline (`services.suggestion_generate`) and the draft evaluation
(`evaluation`) both run, so what is measured is what agents get. It stores nothing: the caller records the
result, relays the pieces as they come (`on_piece`), or scores it.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from models_ft import api as models_api
from models_ft.contracts import GenerationRequest, PromptMessage

from .contracts import Citation, GroundingFlag, TicketContext
from .grounding import context_support, draft_ground
from .prompts import customer_facing, draft_facts, prompt_messages
from .safety import draft_screen, passage_flags


@dataclass(frozen=True)
class Draft:
    """A finished draft: the backend's raw text, the checked text, its citations and flags, and timings
    (seconds since generation started)."""

    raw: str
    text: str
    citations: tuple[Citation, ...]
    flags: tuple[GroundingFlag, ...]
    first_token_seconds: float
    generation_seconds: float
    grounding_seconds: float
    precedent_used: bool = False
    """The draft repeats a reply the team sent on a similar ticket (see `precedents_record`)."""


def draft_write(
    context: TicketContext,
    *,
    messages: tuple[PromptMessage, ...] | None = None,
    customer_email: str = "",
    on_piece: Callable[[str], None] | None = None,
) -> Draft:
    """Generate the reply for `context` with the configured backend and check it: screened for what a
    customer may not get, then grounded against the passages it cites. Raises GenerationError when the
    backend fails."""
    messages = messages if messages is not None else prompt_messages(context)
    started = time.perf_counter()
    first_token: float | None = None
    pieces: list[str] = []
    request = GenerationRequest(messages=messages, facts=draft_facts(context))
    for piece in models_api.generate(request):
        pieces.append(piece)
        if first_token is None:
            first_token = time.perf_counter()
        if on_piece is not None:
            on_piece(piece)
    generated = time.perf_counter()
    raw = "".join(pieces)
    # Whatever the backend wrote, the customer-facing text is checked before anyone can send it.
    screened = draft_screen(
        raw,
        passages=context.passages,
        staff_notes=context.staff_notes,
        customer_id=context.customer_id,
        customer_email=customer_email,
        precedents=[p.reply for p in context.precedents],
    )
    grounding = draft_ground(
        screened.text, customer_facing(context.passages), support=context_support(context)
    )
    return Draft(
        raw=raw,
        text=grounding.text,
        citations=grounding.citations,
        flags=(
            *passage_flags(context.passages),
            *screened.flags,
            *grounding.flags,
            *language_flags(context, grounding.citations),
        ),
        first_token_seconds=(first_token or generated) - started,
        generation_seconds=generated - started,
        grounding_seconds=time.perf_counter() - generated,
        precedent_used=any(p["used"] for p in precedents_record(context, grounding.text)),
    )


def language_flags(context: TicketContext, citations: Sequence[Citation]) -> tuple[GroundingFlag, ...]:
    """A flag when the answer comes from documents in another language than the customer writes: the
    draft answers from them (better than nothing), and the agent is told to translate."""
    language = context.reply_language
    if not language or not citations:
        return ()
    by_marker = {p.marker: p for p in context.passages}
    others = sorted(
        {
            by_marker[c.marker].chunk.language
            for c in citations
            if c.marker in by_marker
            and by_marker[c.marker].chunk.language
            and by_marker[c.marker].chunk.language.split("-")[0].lower() != language
        }
    )
    if not others:
        return ()
    return (
        GroundingFlag(
            kind="other_language",
            text=", ".join(others),
            reason=f"The customer writes in {language}, and the answer comes from documents in "
            f"{', '.join(others)}: the library has nothing better in {language}. Translate before sending.",
        ),
    )


def draft_answered(text: str, citations: Sequence[Citation], *, precedent_used: bool = False) -> bool:
    """Whether a draft gives an answer rather than a nothing-found note: it cites at least one passage, or
    it was composed from a reply the team sent, and it does not carry the note."""
    return (bool(citations) or precedent_used) and models_api.nothing_found_note() not in text


def precedents_record(context: TicketContext, text: str) -> list[dict[str, Any]]:
    """The precedents a draft was given, each marked `used` when the draft repeats its reply (a sentence of
    five words or more of it, word for word)."""
    flat = " ".join(re.findall(r"\w+", text.lower()))
    recorded = []
    for precedent in context.precedents:
        sentences = re.split(r"(?<=[.!?])\s+|\n+", precedent.reply)
        used = any(
            len(words) >= 5 and " ".join(words) in flat
            for words in (re.findall(r"\w+", s.lower()) for s in sentences)
        )
        recorded.append({**dataclasses.asdict(precedent), "used": used})
    return recorded
