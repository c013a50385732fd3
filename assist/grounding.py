"""Checks a draft against the passages it was given: which citations stand, and what the agent should verify.

A cited sentence counts as supported when at least `SUPPORT_THRESHOLD` of its distinct content words (lower
case, crudely stemmed, stopwords dropped; numbers count, a wrong number being a wrong fact) occur in the
passages it cites. Half is lenient on purpose: a reply paraphrases and adds connecting words ("you can",
"your order"), while a sentence that merely borrows a marker usually shares only a word or two with the
passage. Figures are stricter: a number in the sentence that its passages do not contain ("30 days" cited to
a passage that says 14) makes it unsupported whatever the overlap. The check flags for a human to look; it
decides nothing on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from support.core.text import FUNCTION_WORDS, stems

from .contracts import Citation, CitedPassage, Grounding, GroundingFlag

SUPPORT_THRESHOLD = 0.5
MAX_QUOTE_CHARS = 300

# `[3]` or `[1, 2]`.
_MARKER = re.compile(r"\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_TRAILING_PUNCTUATION = ".,;:!?'\""
# A sentence ends at ., ! or ? followed by whitespace or the end (so "99.9" and "v1.2" stay whole), taking
# any markers written after the full stop ("... 14 days. [1]") with it; a line break ends one too.
_SENTENCE_END = re.compile(r"[.!?]+[\"')]*(?:[ \t]*\[\d{1,4}(?:\s*,\s*\d{1,4})*\])*(?=\s|$)|\n+")

# Beyond function words, the words every reply is made of say nothing about whether a passage backs it.
_REPLY_WORD_TEXT = "get got please thank thanks hello hi dear regards kind best sure happy glad help within"
_IGNORED = FUNCTION_WORDS | frozenset(_REPLY_WORD_TEXT.split())


def content_words(text: str) -> set[str]:
    """The stemmed, lower-cased words of `text` that carry meaning: stopwords and markers left out."""
    return stems(_MARKER.sub(" ", text), ignore=_IGNORED)


def sentences(text: str) -> list[str]:
    """`text` split into sentences, each keeping the markers written right after it."""
    found = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.end()].strip()
        if piece:
            found.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        found.append(tail)
    return found


def _markers_in(text: str) -> list[int]:
    return [int(number) for group in _MARKER.findall(text) for number in group.split(",")]


def _tidy(text: str) -> str:
    """Spacing after markers were taken out: no doubled spaces, no space before punctuation, no empty
    brackets left behind."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([.,;:!?)])", r"\1", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return text.strip()


def customer_copy(text: str) -> str:
    """The reply as the customer gets it: citation markers are for the agent (and for training), not for
    the customer, so they are taken out."""
    return _tidy(_MARKER.sub("", text)) if _MARKER.search(text) else text


def _remove_unknown_markers(text: str, known: set[int]) -> tuple[str, list[GroundingFlag]]:
    flags: list[GroundingFlag] = []

    def keep_known(match: re.Match[str]) -> str:
        numbers = [int(number) for number in match.group(1).split(",")]
        kept = [number for number in numbers if number in known]
        for number in numbers:
            if number not in known:
                flags.append(GroundingFlag(kind="removed_marker", text=f"[{number}]", marker=number))
        if kept == numbers:
            return match.group(0)
        return f"[{', '.join(str(number) for number in kept)}]" if kept else ""

    cleaned = _MARKER.sub(keep_known, text)
    return (_tidy(cleaned) if flags else cleaned), flags


def _best_quote(claim: set[str], passage_text: str) -> tuple[int, str]:
    """The passage sentence sharing most content words with `claim` (the first, on a tie), and how many."""
    best_score, best = -1, ""
    for sentence in sentences(passage_text):
        score = len(claim & content_words(sentence))
        if score > best_score:
            best_score, best = score, sentence
    if len(best) > MAX_QUOTE_CHARS:
        best = best[: MAX_QUOTE_CHARS - 1].rstrip() + "…"
    return best_score, best


def _unknown(pattern: re.Pattern[str], text: str, sources: str) -> list[str]:
    found = []
    for match in pattern.finditer(text):
        value = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if value.lower().rstrip("/") not in sources and value not in found:
            found.append(value)
    return found


def draft_ground(text: str, passages: Sequence[CitedPassage]) -> Grounding:
    """The draft with markers that name no passage removed, a citation for each marker it keeps, and flags
    for what the agent should check: unknown markers, cited sentences their passages do not support, and
    links or e-mail addresses found in no passage."""
    by_marker = {passage.marker: passage for passage in passages}
    text, flags = _remove_unknown_markers(text, set(by_marker))

    claims: dict[int, list[set[str]]] = {}
    for sentence in sentences(text):
        cited = list(dict.fromkeys(_markers_in(sentence)))
        if not cited:
            continue
        claim = content_words(sentence)
        for marker in cited:
            claims.setdefault(marker, []).append(claim)
        if not claim:
            continue  # "See [1]." claims nothing to check
        source = set().union(*(content_words(by_marker[marker].chunk.text) for marker in cited))
        figures_missing = any(word.isdigit() and word not in source for word in claim)
        if figures_missing or len(claim & source) / len(claim) < SUPPORT_THRESHOLD:
            flags.extend(GroundingFlag(kind="unsupported", text=sentence, marker=marker) for marker in cited)

    citations = []
    for marker in sorted(claims):
        passage = by_marker[marker]
        chunk = passage.chunk
        quote = max(
            (_best_quote(claim, chunk.text) for claim in claims[marker]),
            key=lambda scored: scored[0],
        )[1]
        citations.append(
            Citation(
                marker=marker,
                document_id=chunk.document_id,
                version_id=chunk.version_id,
                chunk_id=chunk.chunk_id,
                title=chunk.document_title,
                heading=passage.heading,
                quote=quote,
            )
        )

    sources = "\n".join(passage.chunk.text for passage in passages).lower()
    flags.extend(GroundingFlag(kind="unknown_link", text=url) for url in _unknown(_URL, text, sources))
    # An address inside a link ("https://x.example/a@b") is the link's business, not a second finding.
    without_links = _URL.sub(" ", text)
    flags.extend(
        GroundingFlag(kind="unknown_email", text=email) for email in _unknown(_EMAIL, without_links, sources)
    )
    return Grounding(text=text, citations=tuple(citations), flags=tuple(flags))
