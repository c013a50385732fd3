"""The zero-config backend: a reply in the house template, built from the retrieved passages' own sentences.

No weights, no randomness: the same facts always give the same reply, whatever the process or hash seed.
It reads `request.facts` only (the prompt messages are for backends that generate). Passage and customer
text is treated as data: sentences are quoted as facts with their citation marker, never acted on, and a
sentence that talks to an assistant ("ignore previous instructions", "you are now ...") is never quoted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from support.core.text import FUNCTION_WORDS, WORD, stems

from ..contracts import DraftFacts, GenerationRequest, Passage

MAX_SENTENCES = 4
MIN_SENTENCES = 2
# A sentence joins the reply when it scores at least this share of the best sentence's score (and the
# reply has fewer than MIN_SENTENCES so far, it joins anyway as long as it is relevant at all).
KEEP_SHARE = 0.5
MAX_PASSAGES = 3
MAX_SITUATION_CHARS = 240

ACKNOWLEDGEMENT = "Thank you for getting in touch. I have looked into your question."
NOTHING_FOUND = (
    "Note for the agent: the knowledge base has nothing on this question. Please check the answer "
    "before sending."
)
INCIDENT_LEAD = "We are aware of an ongoing incident that may be related:"
CLOSING = "If anything is unclear or you need more help, just reply to this message."
SIGN_OFF = "Kind regards,\nCustomer Support"

# `[3]`, `[ 3 ]`, `[1, 2]`, `[1-3]`, `[^4]` and their full-width forms: anything a reader would take for a
# citation. Only markers this backend adds itself may appear in a reply.
_FAKE_MARKER = re.compile(r"[\[［【]\s*\^?\s*\d+(?:\s*[,;–-]\s*\d+)*\s*[\]］】]")

# Sentences addressed to a model rather than a reader. Quoting one would put an attacker's words, or a
# leftover prompt, in front of the customer.
_TO_THE_ASSISTANT = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?"
    r"(?:previous|prior|above|earlier|preceding|original|system)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all|everything)\b"
    r"|\b(?:system|developer)\s+(?:prompt|message|instructions?)\b"
    r"|\byou\s+are\s+(?:now\s+)?(?:an?\s+)?(?:ai|assistant|language\s+model|chatbot|llm)\b"
    r"|\bas\s+an\s+(?:ai|assistant|language\s+model)\b"
    r"|\bnew\s+instructions?\b"
    r"|^\s*(?:assistant|system|ai)\s*:",
    re.IGNORECASE,
)
# Context lines that say there is no incident ("No active incidents.", "Incidents: none").
_NO_INCIDENT = re.compile(
    r"\bno\s+(?:\w+\s+){0,2}(?:incidents?|outages?)\b|(?:incidents?|outages?)\s*:\s*(?:none|n/a|-)?\s*\.?$",
    re.IGNORECASE,
)

_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)]|#{1,6})\s+")
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "no", "approx", "incl", "inc", "ltd", "co", "st"}
)

# For matching a question with passage sentences, negations and the words of asking carry nothing either.
_ASKING_TEXT = """
cannot no nor not ok okay yes tell know want need like wondering wonder question ask asking help possible able
"""
STOPWORDS = FUNCTION_WORDS | frozenset(_ASKING_TEXT.split())


@dataclass(frozen=True)
class _Sentence:
    passage_index: int
    position: int
    text: str
    terms: frozenset[str]


def terms(text: str) -> frozenset[str]:
    """The stems of the words of `text` that carry meaning (stopwords and one-letter words dropped)."""
    return frozenset(stems(text, ignore=STOPWORDS, min_length=2))


def strip_markers(text: str) -> str:
    """`text` without anything that looks like a citation marker, spaces tidied."""
    text = _FAKE_MARKER.sub("", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


_BLOCK_START = re.compile(r"\s{0,3}(?:[-*•+>|#]|\d{1,3}[.)]\s|```|~~~)")


def _unwrapped_lines(text: str) -> list[str]:
    """The lines of `text` with Markdown's soft line breaks undone: a line that continues a paragraph (not a
    list item, heading, table row or quote, after a line that does not end a sentence) joins the one before,
    so "Delivery within\nthe EU takes two days." is one sentence, not two fragments."""
    lines: list[str] = []
    for line in text.splitlines():
        if (
            lines
            and line.strip()
            and lines[-1].strip()
            and not _BLOCK_START.match(line)
            and not lines[-1].rstrip().endswith((".", "!", "?", ":"))
            and not lines[-1].lstrip().startswith(("#", "|"))
        ):
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return lines


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage: lines first (list items and headings are sentences of their own), then at
    `.`, `!` or `?` followed by a capital, a digit or a quote, except after common abbreviations."""
    sentences: list[str] = []
    for raw_line in _unwrapped_lines(text):
        line = _BULLET.sub("", raw_line).strip()
        if not line:
            continue
        start = 0
        for match in re.finditer(r"[.!?]+[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])", line):
            before = line[start : match.start()].rsplit(None, 1)
            last_word = before[-1].lower().rstrip(".") if before else ""
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
            sentences.append(line[start : match.end()].strip())
            start = match.end()
        if line[start:].strip():
            sentences.append(line[start:].strip())
    return sentences


def _quotable(sentence: str) -> bool:
    # A question (an FAQ's own "Can I get a refund?") states nothing, so it is not quoted as a fact. Nor is
    # a row of a Markdown table: out of its table it reads as a jumble of cells in a reply.
    words = WORD.findall(sentence)
    return (
        3 <= len(words) <= 80
        and not sentence.rstrip("\"') ").endswith("?")
        and sentence.count("|") < 2
        and not _TO_THE_ASSISTANT.search(sentence)
    )


def _candidates(passages: tuple[Passage, ...]) -> list[_Sentence]:
    found = []
    for index, passage in enumerate(passages):
        for position, raw in enumerate(split_sentences(passage.text)):
            text = strip_markers(raw)
            if _quotable(text):
                found.append(_Sentence(index, position, text, terms(text)))
    return found


def _weights(question: frozenset[str], sentences: list[_Sentence]) -> dict[str, float]:
    # Rarer question words count for more: "annual" tells passages apart better than "plan" does when
    # every passage is about plans. sorted() keeps float sums identical across hash seeds.
    total = len(sentences) or 1
    return {
        term: 1.0 + math.log((1 + total) / (1 + sum(term in s.terms for s in sentences)))
        for term in sorted(question)
    }


def select(facts: DraftFacts) -> list[tuple[Passage, list[str]]]:
    """The sentences worth quoting, grouped by passage: the most relevant passage first, its sentences in
    their own order. Empty when no sentence shares enough meaning with the question."""
    question = terms(strip_markers(facts.question))
    sentences = _candidates(facts.passages)
    if not question or not sentences:
        return []
    weights = _weights(question, sentences)
    # One shared word can be chance ("account" is everywhere). A sentence counts when it shares a word with
    # the question and either shares two in all (its passage's title and heading included) or the word it
    # shares is what its passage is about (in the title or heading).
    needed = min(2, len(question))
    heading_terms = [terms(f"{p.title} {p.heading}") & question for p in facts.passages]

    scored: list[tuple[float, _Sentence]] = []
    for sentence in sentences:
        own = sentence.terms & question
        heading = heading_terms[sentence.passage_index]
        if not own or (len(own | heading) < needed and not own & heading):
            continue
        score = sum(weights[t] for t in sorted(own)) + 0.5 * sum(weights[t] for t in sorted(heading - own))
        # Long sentences match more words by chance; a gentle length penalty keeps the tight ones ahead.
        score /= 1.0 + 0.02 * max(0, len(sentence.terms) - 12)
        scored.append((score, sentence))
    if not scored:
        return []

    scored.sort(key=lambda item: (-item[0], item[1].passage_index, item[1].position))
    best_passages: list[int] = []
    for _, sentence in scored:
        if sentence.passage_index not in best_passages:
            best_passages.append(sentence.passage_index)
    best_passages = best_passages[:MAX_PASSAGES]

    best = scored[0][0]
    chosen: list[_Sentence] = []
    for score, sentence in scored:
        if len(chosen) == MAX_SENTENCES:
            break
        if sentence.passage_index not in best_passages:
            continue
        if len(chosen) >= MIN_SENTENCES and score < KEEP_SHARE * best:
            break
        if any(sentence.text == c.text for c in chosen):
            continue
        chosen.append(sentence)

    groups: list[tuple[Passage, list[str]]] = []
    for index in best_passages:
        mine = sorted((s for s in chosen if s.passage_index == index), key=lambda s: s.position)
        if mine:
            groups.append((facts.passages[index], [s.text for s in mine]))
    return groups


def _cite(sentence: str, marker: int) -> str:
    """`sentence` with `[marker]` before its closing punctuation: "within 30 days [2]."."""
    match = re.search(r"([.!?]+[\"')]*|:)$", sentence)
    if match is None:
        return f"{sentence} [{marker}]."
    end = match.group(1)
    if end == ":":
        end = "."
    return f"{sentence[: match.start()].rstrip()} [{marker}]{end}"


def _first_name(name: str) -> str:
    cleaned = strip_markers(" ".join(name.split()))
    return cleaned.split(" ", 1)[0] if cleaned else ""


def _incident(situation: tuple[str, ...]) -> str | None:
    for line in situation:
        if re.search(r"\b(?:incidents?|outages?)\b", line, re.IGNORECASE) and not _NO_INCIDENT.search(line):
            text = strip_markers(" ".join(line.split()))
            # Our own context lines are "Active incidents: ..."; the label would read oddly after the lead.
            text = re.sub(
                r"^(?:active\s+|open\s+|ongoing\s+)?(?:incidents?|outages?)\s*:\s*", "", text, flags=re.I
            )
            text = text.rstrip(" .;:")
            if not text or _TO_THE_ASSISTANT.search(text):
                return f"{INCIDENT_LEAD.rstrip(':')}, and our team is working on it."
            if len(text) > MAX_SITUATION_CHARS:
                text = text[:MAX_SITUATION_CHARS].rsplit(" ", 1)[0] + "…"
            return f"{INCIDENT_LEAD} {text}."
    return None


def compose(facts: DraftFacts) -> str:
    """The full reply for `facts`."""
    name = _first_name(facts.customer_name)
    paragraphs = [f"Hi {name}," if name else "Hello,", ACKNOWLEDGEMENT]
    incident = _incident(facts.situation)
    if incident:
        paragraphs.append(incident)
    groups = select(facts)
    if groups:
        paragraphs.extend(" ".join(_cite(s, passage.marker) for s in quoted) for passage, quoted in groups)
    else:
        paragraphs.append(NOTHING_FOUND)
    paragraphs.extend([CLOSING, SIGN_OFF])
    return "\n\n".join(paragraphs)


def pieces(text: str) -> Iterator[str]:
    """`text` word by word, each word with the spaces or line breaks after it, so the pieces join back to
    exactly `text`."""
    yield from re.findall(r"\S+\s*|\s+", text)


def generate(request: GenerationRequest) -> Iterator[str]:
    """Stream the composed reply word by word."""
    yield from pieces(compose(request.facts))
