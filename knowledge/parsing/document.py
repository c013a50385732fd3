"""From an upload to a `ParsedDocument`: which format it is, the checks every file passes (not empty, not
too big), the parser of its format, the tidied text and the title."""

from __future__ import annotations

from ..safety.hidden import HiddenFinding, visible_text
from .common import ParsedDocument, ParseError, display_name, format_size, split_name, tidy
from .docx import parse_docx
from .html import parse_html
from .markdown import parse_markdown
from .pdf import parse_pdf
from .text import decode_text
from .titles import clean_title, first_level1_heading, title_from_name

MAX_BYTES_DEFAULT = 10 * 1024 * 1024

FORMATS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".txt": "text",
    ".text": "text",
}

_CONTENT_TYPES: dict[str, str] = {
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "text",
}

_SUPPORTED = ".md, .html, .pdf, .docx, .txt"
_HINTS = {".doc": "save it as .docx in Word first"}

_TEXT_FORMATS = frozenset({"markdown", "html", "text"})


def detect_format(filename: str, content_type: str | None = None) -> str:
    """Return the format name ("markdown", "html", "pdf", "docx" or "text") of an upload.

    A known file extension wins; the content type is only consulted when the extension says nothing.
    Raises `ParseError` when neither identifies a supported format.
    """
    name = display_name(filename)
    _, extension = split_name(name)
    if extension in FORMATS:
        return FORMATS[extension]
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _CONTENT_TYPES:
        return _CONTENT_TYPES[mime]
    described = extension or "no file extension"
    if mime:
        described += f", {mime}"
    hint = f"; {_HINTS[extension]}" if extension in _HINTS else ""
    raise ParseError(f"{name}: unsupported file type ({described}){hint}; supported: {_SUPPORTED}")


def parse_document(
    filename: str,
    data: bytes,
    *,
    content_type: str | None = None,
    max_bytes: int = MAX_BYTES_DEFAULT,
) -> ParsedDocument:
    """Extract the title and Markdown-like text of an uploaded file.

    The title is, in order: a Markdown front-matter `title:`, the first level-1 heading of the text, the
    HTML <title> / DOCX core title / PDF metadata title, and finally the file name made readable.
    Raises `ParseError` for unsupported, empty, oversized, damaged or text-less files.
    """
    name = display_name(filename)
    fmt = detect_format(filename, content_type)
    data = bytes(data)
    if not data:
        raise ParseError(f"{name}: the file is empty")
    if len(data) > max_bytes:
        size, limit = format_size(len(data)), format_size(max_bytes)
        if size == limit:
            # Rounding made them look equal; exact byte counts explain why the file was refused.
            size, limit = f"{len(data):,} bytes", f"{max_bytes:,} bytes"
        raise ParseError(f"{name}: the file is {size}, over the limit of {limit}")

    preferred_title: str | None = None
    fallback_title: str | None = None
    hidden: list[HiddenFinding] = []
    if fmt in _TEXT_FORMATS:
        source = decode_text(name, data)
        if fmt == "markdown":
            raw, preferred_title = parse_markdown(source)
        elif fmt == "html":
            raw, fallback_title, hidden = parse_html(name, source)
        else:
            raw = source
    elif fmt == "pdf":
        raw, fallback_title, hidden = parse_pdf(name, data)
    else:
        raw, fallback_title, hidden = parse_docx(name, data)

    text = tidy(raw)
    if not text:
        if fmt == "pdf" and not hidden:
            raise ParseError(f"{name}: the PDF has no extractable text (is it a scan?)")
        if hidden:
            raise ParseError(f"{name}: no visible text found (all of its text is hidden from readers)")
        raise ParseError(f"{name}: no text found")
    title = (
        clean_title(preferred_title)
        # A heading inside a comment is no title: look where readers look.
        or first_level1_heading(visible_text(text).text, setext=fmt == "markdown")
        or clean_title(fallback_title)
        or title_from_name(name)
    )
    return ParsedDocument(title=title, text=text, format=fmt, hidden=tuple(hidden))
