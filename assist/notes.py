"""The agent's note beside a draft: what internal documents say about the question. Internal passages may
inform the agent, never the customer's reply (see `safety`), so what they hold is shown here instead."""

from __future__ import annotations

from support.core.text import stems

from .contracts import TicketContext
from .grounding import sentences

NOTE_SENTENCES_PER_PASSAGE = 2
MAX_NOTE_SENTENCE_CHARS = 300


def agent_note(context: TicketContext) -> str:
    """For each internal passage of the draft, its sentences that share most words with the question; ""
    when no internal document was retrieved."""
    internal = [p for p in context.passages if p.internal]
    if not internal:
        return ""
    question = stems(context.question)
    lines = ["Internal guidance (staff only, not in the reply):"]
    for passage in internal:
        candidates = [s for s in sentences(passage.chunk.text) if len(s.split()) >= 4]
        ranked = sorted(enumerate(candidates), key=lambda item: (-len(stems(item[1]) & question), item[0]))[
            :NOTE_SENTENCES_PER_PASSAGE
        ]
        chosen = [s for _, s in sorted(ranked)]
        text = " ".join(
            s if len(s) <= MAX_NOTE_SENTENCE_CHARS else s[:MAX_NOTE_SENTENCE_CHARS] + "…" for s in chosen
        )
        heading = f" › {passage.heading}" if passage.heading else ""
        lines.append(f"- [{passage.marker}] {passage.chunk.document_title}{heading}: {text}")
    return "\n".join(lines)
