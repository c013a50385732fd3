"""How a search query is formed from what the agent has: a question, or a whole ticket conversation.

The agent console and the retrieval evaluation call the same functions, so what is measured is what runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The latest customer turn carries the question; the turns just before it usually name the thing asked about
# (a product, an order, a place). Older turns mostly add noise.
CONTEXT_TURNS = 3
MAX_QUERY_CHARS = 2000


@dataclass(frozen=True)
class Turn:
    role: str  # "customer" / "user" or "agent"
    text: str


def question_query(query: str, scenario: str = "") -> str:
    """A customer's question, with the situation they described, as one search text."""
    return " ".join(part.strip() for part in (scenario, query) if part and part.strip())[:MAX_QUERY_CHARS]


def conversation_query(turns: Sequence[Turn], scenario: str = "") -> str:
    """The search text for a conversation: the scenario, then the last few turns ending with the newest
    customer turn, newest last."""
    customer_roles = {"customer", "user"}
    last_customer = max((i for i, t in enumerate(turns) if t.role in customer_roles), default=len(turns) - 1)
    window = turns[max(0, last_customer - CONTEXT_TURNS + 1) : last_customer + 1]
    text = " ".join(t.text.strip() for t in window if t.text.strip())
    return question_query(text, scenario)[-MAX_QUERY_CHARS:]
