"""A document's title as readers would name it: its first level-1 heading, a title from metadata cleaned
of Markdown, or its file name made readable."""

from __future__ import annotations

import re

from .common import collapse, split_name

_MAX_TITLE_CHARS = 200
_MAX_TITLE_SCAN = 4000
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX_H1 = re.compile(r" {0,3}#[ \t]+")
_SETEXT_H1 = re.compile(r" {0,3}=+[ \t]*")


def first_level1_heading(text: str, *, setext: bool) -> str | None:
    """The first `# ` heading outside code fences (and, with `setext`, the first `===` underlined one)."""
    fence: str | None = None
    previous = ""
    for line in text.split("\n"):
        if fence is not None:
            if re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", line):
                fence = None
            continue
        opening = _FENCE_OPEN.match(line)
        if opening:
            fence = opening.group(1)
            previous = ""
            continue
        heading = _ATX_H1.match(line)
        if heading:
            return clean_title(_without_closing_hashes(line[heading.end() :].rstrip()))
        if setext and previous.strip() and _SETEXT_H1.fullmatch(line):
            return clean_title(previous)
        previous = line
    return None


def _without_closing_hashes(content: str) -> str:
    # Plain string operations: a regex for this backtracks quadratically on long runs of spaces.
    without = content.rstrip("#")
    if without != content and (not without or without[-1] in " \t"):
        return without.rstrip()
    return content


def clean_title(title: str | None) -> str | None:
    """`title` on one line, without Markdown links and emphasis, cut to 200 characters; None if empty."""
    if not title:
        return None
    # Bounded before any regex runs, so a hostile megabyte-long heading costs nothing.
    title = re.sub(r"!?\[([^\]\[]{0,500})\]\([^()]{0,2000}\)", r"\1", collapse(title)[:_MAX_TITLE_SCAN])
    title = collapse(title.replace("**", "").replace("__", "").replace("`", ""))
    if len(title) > _MAX_TITLE_CHARS:
        title = title[: _MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
    return title or None


def title_from_name(name: str) -> str:
    """A title made from a file name: "refund-policy.md" is "Refund policy"."""
    stem, _ = split_name(name)
    title = collapse(stem.replace("-", " ").replace("_", " "))
    return title[:1].upper() + title[1:] if title else "Untitled"
