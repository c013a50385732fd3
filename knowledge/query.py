"""How a search query is formed from what the agent has: a question, or a whole ticket conversation.

The agent console and the retrieval evaluation call the same functions, so what is measured is what runs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# The latest customer turn carries the question; the turns just before it usually name the thing asked about
# (a product, an order, a place). Older turns mostly add noise.
CONTEXT_TURNS = 3
MAX_QUERY_CHARS = 2000


# Words of conversation rather than of subject: greetings, politeness, modal and request verbs. Documents
# rarely hold them, so keyword ranking would prize them; they are dropped from the keyword side only.
_FILLER = """
hello hi hey thanks thank cheers please pls would could can may might shall should will wondering wonder want
wanted need needed like tell know let sure okay ok yes yeah no nope great awesome perfect also just really
actually maybe question ask asking help appreciate hopefully kindly
"""
FILLER_WORDS = frozenset(_FILLER.split())


def keyword_text(text: str) -> str:
    """The text keyword search matches: the words, less conversational filler."""
    return " ".join(word for word in _tokens(text) if word not in FILLER_WORDS)


@dataclass(frozen=True)
class Turn:
    role: str  # "customer" / "user" or "agent"
    text: str


@dataclass(frozen=True)
class ConversationQuery:
    """A search formed from a conversation: its text, and the document titles it names."""

    text: str
    focus_titles: tuple[str, ...] = ()


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


_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# A word shared by more than this share of titles ("house", "restaurant", "guide") does not identify one.
_COMMON_TITLE_WORD_SHARE = 0.02


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("&", " and "))


@dataclass(frozen=True)
class TitleIndex:
    """The distinctive words of each document title in a collection, for spotting titles in a conversation.
    A title is named when all its distinctive words occur in one turn, in any order ("the Hobsons House"
    or "house of Hobsons" name HOBSONS HOUSE)."""

    words: dict[str, frozenset[str]]  # title -> its distinctive words
    by_word: dict[str, tuple[str, ...]]  # rarest distinctive word -> the titles keyed by it

    @classmethod
    def build(cls, titles: Sequence[str]) -> TitleIndex:
        tokenised = {title: _tokens(title) for title in dict.fromkeys(titles) if title.strip()}
        frequency = Counter(word for words in tokenised.values() for word in set(words))
        common = max(2.0, len(tokenised) * _COMMON_TITLE_WORD_SHARE)
        words: dict[str, frozenset[str]] = {}
        by_word: dict[str, list[str]] = {}
        for title, tokens in tokenised.items():
            distinctive = frozenset(w for w in tokens if frequency[w] <= common) or frozenset(tokens)
            if not distinctive:
                continue
            words[title] = distinctive
            key = min(distinctive, key=lambda w: (frequency[w], w))
            by_word.setdefault(key, []).append(title)
        return cls(words=words, by_word={key: tuple(value) for key, value in by_word.items()})

    def named_in(self, text: str) -> list[str]:
        present = set(_tokens(text))
        found = []
        for word in present:
            for title in self.by_word.get(word, ()):
                if self.words[title] <= present:
                    found.append(title)
        return sorted(found)


def conversation_focus(turns: Sequence[Turn], index: TitleIndex) -> tuple[str, ...]:
    """The document titles the conversation is about now: those named in the latest turn that names any.
    A customer who moves from one product (or place) to another moves the focus with them."""
    for turn in reversed(turns):
        named = index.named_in(turn.text)
        if named:
            return tuple(named)
    return ()
