"""Where the sentences of a text are, for the planted-instruction detector: a sentence ends at . ! ? (or
their CJK forms) followed by white space, or at a line break that Markdown does not wrap; over-long ones are
cut into windows; paragraphs are separated by blank lines and headings."""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_SENTENCE_CHARS = 600
"""Longer "sentences" (a table row, a wall of text) are scored in windows of this size."""

HEADING = re.compile(r"^\s{0,3}(#{1,6})\s")

# Sentences end at . ! ? and their CJK forms, or at a line break.
_SENTENCE = re.compile(r"[^\n.!?。！？]*(?:[.!?。！？]+[\"'”’)\]]*|\n|$)")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, whitespace trimmed; long ones cut into windows."""
    spans: list[tuple[int, int]] = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        piece = text[start:end]
        stripped = piece.strip()
        if not stripped:
            continue
        start += len(piece) - len(piece.lstrip())
        end = start + len(stripped)
        while end - start > MAX_SENTENCE_CHARS:
            spans.append((start, start + MAX_SENTENCE_CHARS))
            start += MAX_SENTENCE_CHARS
        spans.append((start, end))
    return _join_split_words(text, spans)


def _join_split_words(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans that a full stop inside a number, a version or a domain cut ("99.9", "v4.2", "example.com",
    "e.g.") joined again: a sentence ends only where white space or the text's end follows."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined:
            previous_start, previous_end = joined[-1]
            if previous_end == start and text[start : start + 1] not in ("", "\n"):
                joined[-1] = (previous_start, end)
                continue
        joined.append((start, end))
    return _join_wrapped_lines(text, joined)


_BLOCK_START = re.compile(r"\s{0,3}(?:[-*+>|#]|\d{1,3}[.)]\s|```|~~~)")


def _join_wrapped_lines(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans that a line break inside a paragraph cut (Markdown wraps lines; only a blank line, a list item,
    a heading, a table row or a quote starts a new block) joined again, unless the first one already ends
    a sentence."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined:
            previous_start, previous_end = joined[-1]
            between = text[previous_end:start]
            ends_sentence = text[previous_end - 1 : previous_end] in ".!?。！？:："
            if (
                between.strip(" \t") == "\n"
                and not ends_sentence
                and not _BLOCK_START.match(text[start:])
                and not _BLOCK_START.match(text[previous_start:])
            ):
                joined[-1] = (previous_start, end)
                continue
        joined.append((start, end))
    return joined


def paragraphs(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """The paragraph number of each span: paragraphs are separated by blank lines and headings."""
    numbers, current, at = [], 0, 0
    for start, _ in spans:
        between = text[at:start]
        if re.search(r"\n\s*\n", between) or HEADING.match(text[start : start + 8]):
            current += 1
        numbers.append(current)
        at = start
    return numbers
