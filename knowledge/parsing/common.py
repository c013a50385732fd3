"""What every format's parser shares: the result and the error, file names and sizes as users read them,
and the Markdown-like text they all produce (whitespace collapsed, tables, tidied lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..safety.hidden import HiddenFinding

# A cell spanning more columns than this is treated as spanning this many.
MAX_COLSPAN = 20


class ParseError(ValueError):
    """The file cannot be turned into text; the message says why in words a user understands,
    starting with the file name, e.g. 'refunds.pdf: the PDF has no extractable text (is it a scan?)'."""


@dataclass(frozen=True)
class ParsedDocument:
    """The text of an uploaded document, ready to be chunked and indexed."""

    title: str  # first level-1 heading, else the format's own title metadata, else from the file name
    text: str  # Markdown-like: '#' headings, blank-line paragraphs, '- '/'1. ' items, '| a | b |' tables
    format: str  # "markdown" | "html" | "pdf" | "docx" | "text"
    # What the file holds that a reader does not see and `text` leaves out: hidden HTML elements and comments,
    # off-page or invisible PDF text, hidden Word runs. Hidden parts of `text` itself (Markdown comments,
    # invisible characters) are found by `knowledge.safety.hidden.visible_text` when a version is made.
    hidden: tuple[HiddenFinding, ...] = ()


def display_name(filename: str) -> str:
    """The file name an upload is called by in messages: its last path part, or "upload"."""
    # Browsers on Windows have been known to send the full client path.
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    return base or "upload"


def split_name(name: str) -> tuple[str, str]:
    """(stem, lower-case extension with its dot, or "")."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not suffix or " " in suffix:
        return name, ""
    return stem, "." + suffix.lower()


def format_size(n: int) -> str:
    """A byte count as people read it: "1 byte", "512 bytes", "1.5 MB"."""
    if n < 1024:
        return "1 byte" if n == 1 else f"{n} bytes"
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    raise AssertionError("unreachable")


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def tidy(text: str) -> str:
    """Normalise newlines, drop control characters and trailing spaces, allow one blank line at most."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x0b\x0c\u2028\u2029\x85]", "\n", text)
    text = _CONTROL_CHARS.sub("", text).lstrip("\ufeff")
    lines: list[str] = []
    pending_blank = False
    for line in text.split("\n"):
        line = line.rstrip()
        if not line:
            pending_blank = bool(lines)
            continue
        if pending_blank:
            lines.append("")
            pending_blank = False
        lines.append(line)
    return "\n".join(lines)


def collapse(text: str) -> str:
    """`text` with each run of white space made one space, trimmed."""
    return re.sub(r"\s+", " ", text).strip()


def markdown_table(rows: list[list[str]]) -> str | None:
    """A Markdown table of the rows (the first is the header), without empty rows; None if all are."""
    cleaned = [[collapse(cell).replace("|", "\\|") for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return None
    width = max(len(row) for row in cleaned)
    padded = [row + [""] * (width - len(row)) for row in cleaned]
    lines = ["|" + "|".join(f" {cell} " if cell else " " for cell in row) + "|" for row in padded]
    lines.insert(1, "|" + "|".join([" --- "] * width) + "|")
    return "\n".join(lines)
