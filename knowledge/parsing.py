"""Turn an uploaded file (Markdown, HTML, PDF, Word .docx or plain text) into Markdown-like text.

Pure Python: no Django, no database. Every failure a user can cause surfaces as a `ParseError` whose
message starts with the file name and says what is wrong in plain words.
"""

from __future__ import annotations

import codecs
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import docx
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, PreformattedString
from docx.oxml.ns import qn
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from .safety.hidden import HiddenFinding, element_declarations, finding, visible_text
from .safety.styles import (
    BLACK,
    MIN_CONTRAST,
    RGBA,
    WHITE,
    Paint,
    Stylesheet,
    child_paint,
    color_reason,
    contrast,
    hidden_reason,
    parse_color,
)

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


def detect_format(filename: str, content_type: str | None = None) -> str:
    """Return the format name ("markdown", "html", "pdf", "docx" or "text") of an upload.

    A known file extension wins; the content type is only consulted when the extension says nothing.
    Raises `ParseError` when neither identifies a supported format.
    """
    name = _display_name(filename)
    _, extension = _split_name(name)
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
    name = _display_name(filename)
    fmt = detect_format(filename, content_type)
    data = bytes(data)
    if not data:
        raise ParseError(f"{name}: the file is empty")
    if len(data) > max_bytes:
        size, limit = _format_size(len(data)), _format_size(max_bytes)
        if size == limit:
            # Rounding made them look equal; exact byte counts explain why the file was refused.
            size, limit = f"{len(data):,} bytes", f"{max_bytes:,} bytes"
        raise ParseError(f"{name}: the file is {size}, over the limit of {limit}")

    preferred_title: str | None = None
    fallback_title: str | None = None
    hidden: list[HiddenFinding] = []
    if fmt in _TEXT_FORMATS:
        source = _decode_text(name, data)
        if fmt == "markdown":
            raw, preferred_title = _parse_markdown(source)
        elif fmt == "html":
            raw, fallback_title, hidden = _parse_html(name, source)
        else:
            raw = source
    elif fmt == "pdf":
        raw, fallback_title, hidden = _parse_pdf(name, data)
    else:
        raw, fallback_title, hidden = _parse_docx(name, data)

    text = _tidy(raw)
    if not text:
        if fmt == "pdf" and not hidden:
            raise ParseError(f"{name}: the PDF has no extractable text (is it a scan?)")
        if hidden:
            raise ParseError(f"{name}: no visible text found (all of its text is hidden from readers)")
        raise ParseError(f"{name}: no text found")
    title = (
        _clean_title(preferred_title)
        # A heading inside a comment is no title: look where readers look.
        or _first_level1_heading(visible_text(text).text, setext=fmt == "markdown")
        or _clean_title(fallback_title)
        or _title_from_name(name)
    )
    return ParsedDocument(title=title, text=text, format=fmt, hidden=tuple(hidden))


# --- names, sizes, decoding, tidying ----------------------------------------------------------------------


def _display_name(filename: str) -> str:
    # Browsers on Windows have been known to send the full client path.
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    return base or "upload"


def _split_name(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    if not dot or not suffix or " " in suffix:
        return name, ""
    return stem, "." + suffix.lower()


def _format_size(n: int) -> str:
    if n < 1024:
        return "1 byte" if n == 1 else f"{n} bytes"
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    raise AssertionError("unreachable")


def _decode_text(name: str, data: bytes) -> str:
    # UTF-32 BOMs start with the UTF-16 ones, so they are checked first.
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(f"{name}: the text cannot be decoded (it claims to be {encoding})") from exc
            if "\x00" in text:
                raise ParseError(f"{name}: not a text file (it contains binary data)")
            return text
    if b"\x00" in data:
        raise ParseError(f"{name}: not a text file (it contains binary data)")
    # UTF-8 only: a guess at a legacy encoding would store mojibake as a new version. The offset counts
    # from the start of the file, its byte order mark included.
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise ParseError(
            f"{name}: the text is not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset}); save the "
            "file as UTF-8 and upload it again"
        ) from exc


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _tidy(text: str) -> str:
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


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- titles -----------------------------------------------------------------------------------------------

_MAX_TITLE_CHARS = 200
_MAX_TITLE_SCAN = 4000
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX_H1 = re.compile(r" {0,3}#[ \t]+")
_SETEXT_H1 = re.compile(r" {0,3}=+[ \t]*")


def _first_level1_heading(text: str, *, setext: bool) -> str | None:
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
            return _clean_title(_without_closing_hashes(line[heading.end() :].rstrip()))
        if setext and previous.strip() and _SETEXT_H1.fullmatch(line):
            return _clean_title(previous)
        previous = line
    return None


def _without_closing_hashes(content: str) -> str:
    # Plain string operations: a regex for this backtracks quadratically on long runs of spaces.
    without = content.rstrip("#")
    if without != content and (not without or without[-1] in " \t"):
        return without.rstrip()
    return content


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    # Bounded before any regex runs, so a hostile megabyte-long heading costs nothing.
    title = re.sub(r"!?\[([^\]\[]{0,500})\]\([^()]{0,2000}\)", r"\1", _collapse(title)[:_MAX_TITLE_SCAN])
    title = _collapse(title.replace("**", "").replace("__", "").replace("`", ""))
    if len(title) > _MAX_TITLE_CHARS:
        title = title[: _MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
    return title or None


def _title_from_name(name: str) -> str:
    stem, _ = _split_name(name)
    title = _collapse(stem.replace("-", " ").replace("_", " "))
    return title[:1].upper() + title[1:] if title else "Untitled"


# --- Markdown ---------------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL | re.MULTILINE)
_YAML_KEY = re.compile(r"[A-Za-z_][\w .-]*:(?:\s|$)")


def _parse_markdown(source: str) -> tuple[str, str | None]:
    text = source.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    match = _FRONT_MATTER.match(text)
    if not match:
        return text, None
    body = match.group(1)
    meaningful = [line for line in body.split("\n") if line.strip() and not line.lstrip().startswith("#")]
    # A document that merely opens with a horizontal rule must not lose its first section.
    if meaningful and not _YAML_KEY.match(meaningful[0]):
        return text, None
    return text[match.end() :], _front_matter_title(body)


def _front_matter_title(body: str) -> str | None:
    lines = body.split("\n")
    for index, line in enumerate(lines):
        match = re.match(r"title[ \t]*:(.*)$", line, re.IGNORECASE)
        if not match:
            continue
        value = match.group(1).strip()
        if value[:1] in ("|", ">"):
            folded = []
            for following in lines[index + 1 :]:
                if following.strip() and not following[:1].isspace():
                    break
                folded.append(following.strip())
            return " ".join(part for part in folded if part) or None
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if len(value) >= 2 and value[0] == value[-1] == "'":
            return value[1:-1].replace("''", "'")
        comment = re.search(r"\s#", value)
        return (value[: comment.start()] if comment else value).rstrip() or None
    return None


# --- HTML -------------------------------------------------------------------------------------------------

_HTML_DROPPED = (
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "noscript",
    "template",
    "svg",
    "head",
    "iframe",
    "object",
    "embed",
    "canvas",
    "audio",
    "video",
    "button",
    "select",
    "textarea",
)
_HTML_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "form",
        "hgroup",
        "html",
        "legend",
        "main",
        "p",
        "section",
        "summary",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "tfoot",
    }
)
_HTML_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_HTML_LISTS = frozenset({"ul", "ol", "menu"})
_HTML_ITEM = frozenset({"li"})
# Deeper than this, hostile or broken markup is flattened to plain text instead of recursing further.
_HTML_MAX_DEPTH = 80
_MAX_COLSPAN = 20


def _parse_html(name: str, source: str) -> tuple[str, str | None, list[HiddenFinding]]:
    try:
        soup = BeautifulSoup(source, "html.parser")
    except Exception as exc:  # html.parser rejects some malformed declarations outright
        raise ParseError(f"{name}: the HTML cannot be read ({exc.__class__.__name__})") from exc

    first_title = soup.find("title")
    page_title = first_title.get_text() if first_title and first_title.find_parent("svg") is None else None

    hidden = _html_comments(soup)
    removable, found = _html_removable(soup)
    hidden += found
    for tag in removable:
        tag.decompose()
    blocks = _HtmlRenderer(depth=0, skip=frozenset()).render(soup.contents)
    return "\n\n".join(blocks), page_title, hidden


_HTML_PAINT_ATTRIBUTES = ("style", "color", "bgcolor")
_CONDITIONAL_COMMENT = re.compile(r"<[^>]*>|\[if[^\]]*\]>?|<?!?\[endif\]", re.IGNORECASE)


def _html_comments(soup: BeautifulSoup) -> list[HiddenFinding]:
    """HTML comments with words in them (not the empty markers of old Internet Explorer conditionals)."""
    found: list[HiddenFinding] = []
    for comment in soup.find_all(string=lambda node: isinstance(node, Comment)):
        text = str(comment)
        if re.search(r"\w", _CONDITIONAL_COMMENT.sub(" ", text)):
            found.append(finding("html_comment", "HTML comment", text))
    return found


def _html_removable(soup: BeautifulSoup) -> tuple[list[Tag], list[HiddenFinding]]:
    """The outermost tags to drop: non-content elements, page chrome and hidden elements; and a finding for
    each hidden element with text in it (dropped content and chrome are not hidden, only not content).

    One iterative pass that carries "inside an article" and the inherited colours down the tree: asking
    each tag for its ancestors instead would be quadratic on deeply nested markup.
    """
    sheet = Stylesheet.parse(style.get_text() for style in soup.find_all("style"))
    # Style rules this parser cannot apply, or a linked sheet, may give any element a dark background:
    # then white text is not judged (only text coloured like a background of its own element).
    linked = soup.find("link", rel="stylesheet") is not None
    paint = Paint() if sheet.complete and not linked else Paint(background=None)
    removable: list[Tag] = []
    found: list[HiddenFinding] = []
    # Text drawn in its background's colour is judged text by text, collected per element where it starts.
    unseen: list[tuple[str, str, list[str]]] = []  # (tag name, why, texts)
    blanked: list[NavigableString] = []
    stack: list[tuple[Tag, bool, Paint, int | None]] = [(soup, False, paint, None)]
    while stack:
        node, in_article, inherited, unseen_at = stack.pop()
        for child in node.contents:
            if not isinstance(child, Tag):
                if unseen_at is not None and type(child) is NavigableString and child.strip():
                    unseen[unseen_at][2].append(str(child))
                    blanked.append(child)
                continue
            name = child.name
            # An article's own <header> carries its headline; only page chrome is dropped.
            chrome = name in ("header", "footer") and not in_article
            if (name in _HTML_DROPPED and name not in ("header", "footer")) or chrome:
                removable.append(child)
                continue
            attributes = {
                key: value
                for key in ("style", "color", "bgcolor")
                if isinstance(value := child.get(key), str)
            }
            classes: Any = child.get("class") or []
            element_id = child.get("id")
            decl = {
                **sheet.matching(
                    name,
                    classes if isinstance(classes, list) else str(classes).split(),
                    element_id if isinstance(element_id, str) else None,
                ),
                **element_declarations(name, attributes),
            }
            reason = "the hidden attribute" if child.has_attr("hidden") else hidden_reason(decl)
            if reason is not None:
                removable.append(child)
                text = _collapse(child.get_text(" "))
                if text:
                    found.append(finding("hidden_html", f"<{name}> hidden ({reason})", text))
                continue
            own = child_paint(decl, inherited)
            why = color_reason(own)
            child_unseen = None
            if why is not None:
                if unseen_at is None or own != inherited:
                    unseen.append((name, why, []))
                    child_unseen = len(unseen) - 1
                else:
                    child_unseen = unseen_at
            stack.append((child, in_article or name in ("article", "main"), own, child_unseen))
    for string in blanked:
        string.replace_with(" ")
    for name, why, texts in unseen:
        text = _collapse(" ".join(texts))
        if text:
            found.append(finding("hidden_html", f"<{name}> hidden ({why})", text))
    return removable, found


def _tags_within(root: Tag, wanted: frozenset[str], barrier: frozenset[str]) -> list[Tag]:
    """Descendant tags named in `wanted`, in document order, without entering `barrier` tags.

    Iterative, and each element is visited once per call, so hostile nesting stays linear.
    """
    found: list[Tag] = []
    stack: list[Tag] = [child for child in reversed(root.contents) if isinstance(child, Tag)]
    while stack:
        node = stack.pop()
        if node.name in barrier:
            continue
        if node.name in wanted:
            found.append(node)
        stack.extend(child for child in reversed(node.contents) if isinstance(child, Tag))
    return found


class _HtmlRenderer:
    """Renders a sequence of nodes into Markdown-like blocks.

    `skip` names tags that an enclosing list or table renders itself: html.parser does not close
    <li>, <td> or <tr> implicitly, so a following item ends up nested inside the previous one.
    """

    def __init__(self, depth: int, skip: frozenset[str]) -> None:
        self.depth = depth
        self.skip = skip
        self.blocks: list[str] = []
        self.inline: list[str] = []
        self.saw_table = False

    def render(self, nodes: Iterable[Any]) -> list[str]:
        for node in nodes:
            self._walk(node, self.depth)
        self._flush()
        return self.blocks

    def _child(self, extra_skip: Iterable[str] = ()) -> _HtmlRenderer:
        return _HtmlRenderer(self.depth + 1, self.skip | frozenset(extra_skip))

    def _flush(self) -> None:
        lines = [re.sub(r" {2,}", " ", line).strip() for line in "".join(self.inline).split("\n")]
        text = "\n".join(lines).strip("\n")
        if text.strip():
            self.blocks.append(text)
        self.inline = []

    def _walk(self, node: Any, depth: int) -> None:
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, CDATA, doctypes, processing instructions
                self.inline.append(re.sub(r"\s+", " ", str(node)))
            return
        if not isinstance(node, Tag) or node.name in self.skip:
            return
        name = node.name
        if depth > _HTML_MAX_DEPTH:
            self.inline.append(" " + re.sub(r"\s+", " ", node.get_text(" ")) + " ")
            return
        if name == "br":
            self.inline.append("\n")
        elif name in _HTML_HEADINGS:
            self._flush()
            text = _collapse(" ".join(self._child().render(node.contents)))
            if text:
                self.blocks.append("#" * _HTML_HEADINGS[name] + " " + text)
        elif name in _HTML_LISTS:
            self._flush()
            lines = self._list(node, _tags_within(node, _HTML_ITEM, _HTML_LISTS))
            if lines:
                self.blocks.append("\n".join(lines))
        elif name == "li":  # an item outside any list, with the unclosed items that follow it
            self._flush()
            lines = self._list(node, [node, *_tags_within(node, _HTML_ITEM, _HTML_LISTS)])
            if lines:
                self.blocks.append("\n".join(lines))
        elif name == "table":
            self._flush()
            self.saw_table = True
            self.blocks.extend(self._table(node))
        elif name == "pre":
            self._flush()
            code = node.get_text().strip("\n")
            if code.strip():
                fence = "```"
                while fence in code:
                    fence += "`"
                self.blocks.append(f"{fence}\n{code}\n{fence}")
        elif name == "blockquote":
            self._flush()
            quoted = self._child().render(node.contents)
            if quoted:
                lines = "\n\n".join(quoted).split("\n")
                self.blocks.append("\n".join(f"> {line}" if line else ">" for line in lines))
        elif name == "hr" or name in _HTML_BLOCKS:
            self._flush()
            for child in node.contents:
                self._walk(child, depth + 1)
            self._flush()
        else:
            for child in node.contents:
                self._walk(child, depth + 1)

    def _list(self, node: Tag, items: list[Tag]) -> list[str]:
        ordered = node.name == "ol"
        number = _int_attribute(node, "start", 1)
        lines: list[str] = []
        for item in items:
            content = self._child(["li"]).render(item.contents)
            if not content:
                continue
            marker = f"{number}." if ordered else "-"
            number += 1
            lines.extend(_list_item(marker, content))
        return lines

    def _table(self, node: Tag) -> list[str]:
        blocks: list[str] = []
        for caption in _tags_within(node, frozenset({"caption"}), frozenset({"table"}))[:1]:
            blocks.extend(self._child().render(caption.contents))
        rows: list[list[list[str]]] = []
        layout = False
        for row in _tags_within(node, frozenset({"tr"}), frozenset({"table"})):
            cells: list[list[str]] = []
            for cell in _tags_within(row, frozenset({"td", "th"}), frozenset({"table", "tr"})):
                renderer = self._child(["td", "th", "tr", "caption"])
                cells.append(renderer.render(cell.contents))
                layout = layout or renderer.saw_table
                cells.extend([] for _ in range(_int_attribute(cell, "colspan", 1, upper=_MAX_COLSPAN) - 1))
            rows.append(cells)
        if not rows:  # a <table> with no rows at all: keep whatever text it holds
            return blocks + self._child(["caption"]).render(node.contents)
        # Tables used for page layout (one column, or tables inside tables) read better as paragraphs.
        if layout or max(len(cells) for cells in rows) <= 1:
            return blocks + [block for cells in rows for cell in cells for block in cell]
        table = _markdown_table([[" ".join(cell) for cell in cells] for cells in rows])
        return blocks + ([table] if table else [])


def _int_attribute(tag: Tag, attribute: str, default: int, upper: int | None = None) -> int:
    raw = tag.get(attribute)
    try:
        value = int(str(raw).strip()) if raw is not None else default
    except ValueError:
        return default
    if upper is not None:
        value = max(1, min(value, upper))
    return value


def _list_item(marker: str, blocks: list[str]) -> list[str]:
    if not blocks:
        return []
    pad = " " * (len(marker) + 1)
    first, *rest = blocks
    lines = first.split("\n")
    out = [f"{marker} {lines[0]}"] + [pad + line if line else "" for line in lines[1:]]
    for block in rest:
        out.extend(pad + line if line else "" for line in block.split("\n"))
    return out


def _markdown_table(rows: list[list[str]]) -> str | None:
    cleaned = [[_collapse(cell).replace("|", "\\|") for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return None
    width = max(len(row) for row in cleaned)
    padded = [row + [""] * (width - len(row)) for row in cleaned]
    lines = ["|" + "|".join(f" {cell} " if cell else " " for cell in row) + "|" for row in padded]
    lines.insert(1, "|" + "|".join([" --- "] * width) + "|")
    return "\n".join(lines)


# --- PDF --------------------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
# Bullet glyphs as PDFs spell them, including the private-use code points of the Symbol and Wingdings fonts.
_PDF_BULLET = re.compile(
    r"[\u2022\u25cf\u25aa\u25e6\u2023\u2043\u2219\u00b7\u25a0\u25a1\uf0b7\uf0a7*\u2013-]\s+"
)
_PDF_NUMBERED = re.compile(r"\(?\d{1,3}[.)]\s+\S")
_PDF_PAGE_NUMBER = re.compile(
    r"(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|[-\u2013]\s*\d{1,4}\s*[-\u2013]", re.I
)
_SENTENCE_END = (".", "!", "?", ":", ";", '"', "\u201d")
_HEADING_RATIO = 1.15
_MAX_HEADING_CHARS = 200


@dataclass
class _PdfLine:
    text: str
    size: float  # effective font size in points, 0 when unknown
    x: float | None  # start of the line on the page; None when the text is not upright
    y: float | None  # baseline on the page


@dataclass
class _PdfBlock:
    kind: str  # "heading", "item" or "paragraph"
    level: int
    text: str
    first: _PdfLine
    last: _PdfLine


class _PdfLineCollector:
    """Rebuilds the lines pypdf emits, keeping each line's font size and position for layout decisions."""

    def __init__(self) -> None:
        self.lines: list[_PdfLine] = []
        self._parts: list[str] = []
        self._weights: dict[float, int] = {}
        self._position: tuple[float | None, float | None] | None = None

    def visit(self, text: Any, cm: Any, tm: Any, _font: Any, font_size: Any) -> None:
        if not isinstance(text, str) or not text:
            return
        size, x, y = _pdf_geometry(cm, tm, font_size)
        for index, segment in enumerate(text.split("\n")):
            if index:
                self.end_line()
            if not segment:
                continue
            self._parts.append(segment)
            visible = len(segment.strip())
            if visible:
                self._weights[size] = self._weights.get(size, 0) + visible
                if self._position is None:
                    self._position = (x, y)

    def end_line(self) -> None:
        text = re.sub(r"[ \t\u00a0]+", " ", "".join(self._parts).translate(_LIGATURES)).strip()
        if text:
            size = (
                max(self._weights.items(), key=lambda item: (item[1], item[0]))[0] if self._weights else 0.0
            )
            x, y = self._position or (None, None)
            self.lines.append(_PdfLine(text, size, x, y))
        self._parts, self._weights, self._position = [], {}, None


def _pdf_matrix(cm: Any, tm: Any) -> list[float] | None:
    """The text matrix times the current transformation matrix: text space to page space."""
    try:
        t = [float(value) for value in tm][:6]
        c = [float(value) for value in cm][:6]
        return [
            t[0] * c[0] + t[1] * c[2],
            t[0] * c[1] + t[1] * c[3],
            t[2] * c[0] + t[3] * c[2],
            t[2] * c[1] + t[3] * c[3],
            t[4] * c[0] + t[5] * c[2] + c[4],
            t[4] * c[1] + t[5] * c[3] + c[5],
        ]
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _pdf_geometry(cm: Any, tm: Any, font_size: Any) -> tuple[float, float | None, float | None]:
    m = _pdf_matrix(cm, tm)
    try:
        size = round(abs(float(font_size)) * math.hypot(m[2], m[3]), 1) if m is not None else math.nan
    except (TypeError, ValueError, OverflowError):
        return 0.0, None, None
    if m is None or not math.isfinite(size):
        return 0.0, None, None
    upright = m[3] > 0 and abs(m[1]) <= 0.01 * m[3]
    return size, (m[4] if upright else None), (m[5] if upright else None)


_PDF_TEXT_SHOWING = frozenset({b"Tj", b"TJ", b"'", b'"'})
_PDF_FILLING = frozenset({b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_PDF_PATH_POINTS = frozenset({b"m", b"l", b"c", b"v", b"y"})
_PDF_EVERYWHERE = (-math.inf, -math.inf, math.inf, math.inf)
_PDF_TINY_POINTS = 1.0
_PDF_MAX_AREAS = 500
_PDF_REASONS = {
    "offpage": ("offpage_text", "text placed outside the visible page"),
    "tiny": ("hidden_text", "text in a font smaller than 1pt"),
    "invisible": ("hidden_text", "text drawn invisibly (text render mode 3)"),
    "unpainted": ("hidden_text", "text in the colour of the page behind it (such as white on white)"),
}
Box = tuple[float, float, float, float]


@dataclass
class _PdfPaint:
    mode: int = 0  # text render mode: 0 fill, 1 stroke, 2 both, 3 invisible, 4-7 the same and clip
    fill: RGBA | None = BLACK  # None: a colour space that cannot be judged (patterns, spot colours)
    stroke: RGBA | None = BLACK
    fill_space: str = "/DeviceGray"
    stroke_space: str = "/DeviceGray"
    font_size: float | None = None  # until a Tf sets it (a font set by a graphics state is not read)


class _PdfHiddenText:
    """Follows the graphics state over one pass of pypdf's text extraction (as its operator visitor) and
    says what each text-showing operator would leave unseen: text off the page, in a font under 1pt, drawn
    invisibly (except over an image: that is a scan's recognised text), or in the colour of what is painted
    behind it. Text the pass does not `keep` has its operands emptied for that operator only, so pypdf
    extracts the visible text (keep=None) or the text hidden for one reason.
    """

    def __init__(self, page: Any, keep: str | None) -> None:
        self.keep = keep
        self.reasons: set[str] = set()
        self.paint = _PdfPaint()
        self.saved_paints: list[_PdfPaint] = []
        self.path: list[tuple[float, float]] = []  # the points of the path being built, on the page
        self.areas: list[tuple[Box, RGBA | None]] = []  # painted paths, images and forms, in paint order
        self.busy = False
        self.emptied: list[Any] | None = None
        try:
            box = page.cropbox
            self.box: Box | None = (float(box.left), float(box.bottom), float(box.right), float(box.top))
        except Exception:  # a broken box only costs the off-page check
            self.box = None
        try:
            resources = page.get("/Resources")
            resources = resources.get_object() if resources is not None else {}
            self.xobjects = resources.get("/XObject", {}).get_object() if "/XObject" in resources else {}
            self.spaces = resources.get("/ColorSpace", {}).get_object() if "/ColorSpace" in resources else {}
        except Exception:
            self.xobjects, self.spaces = {}, {}

    def before(self, operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        try:
            self._follow(operator, operands, cm)
            if operator not in _PDF_TEXT_SHOWING:
                return
            reason = self._reason(operands, cm, tm)
        except Exception:  # a malformed operator is pypdf's to judge; this only ever hides nothing
            return
        if reason is not None:
            self.reasons.add(reason)
        if reason != self.keep:
            self.emptied = list(operands)
            operands.clear()

    def after(self, operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        if self.emptied is not None:
            operands[:] = self.emptied
            self.emptied = None

    def _follow(self, operator: bytes, operands: list[Any], cm: Any) -> None:
        paint = self.paint
        if operator == b"q":
            self.saved_paints.append(_PdfPaint(**vars(paint)))
        elif operator == b"Q":
            if self.saved_paints:
                self.paint = self.saved_paints.pop()
        elif operator == b"Tr" and operands:
            paint.mode = int(operands[0])
        elif operator == b"Tf" and len(operands) >= 2:
            paint.font_size = float(operands[1])
        elif operator in (b"g", b"rg", b"k"):
            paint.fill = self._device_color(operands)
        elif operator in (b"G", b"RG", b"K"):
            paint.stroke = self._device_color(operands)
        elif operator in (b"cs", b"CS") and operands:
            space = str(operands[0])
            color: RGBA | None = BLACK if self._judged(space) else None
            if operator == b"cs":
                paint.fill_space, paint.fill = space, color
            else:
                paint.stroke_space, paint.stroke = space, color
        elif operator in (b"sc", b"scn"):
            paint.fill = self._device_color(operands) if self._judged(paint.fill_space) else None
        elif operator in (b"SC", b"SCN"):
            paint.stroke = self._device_color(operands) if self._judged(paint.stroke_space) else None
        elif operator == b"re" and len(operands) >= 4:
            x, y, w, h = (float(value) for value in operands[:4])
            self.path.extend(_pdf_points(cm, [(x, y), (x + w, y), (x, y + h), (x + w, y + h)]))
        elif operator in _PDF_PATH_POINTS and operands:
            values = [float(value) for value in operands]
            self.path.extend(_pdf_points(cm, list(zip(values[0::2], values[1::2], strict=False))))
        elif operator in _PDF_FILLING:
            # The bounding box of what is filled: generous for round shapes, which only spares text.
            if self.path:
                xs, ys = [x for x, _ in self.path], [y for _, y in self.path]
                self._painted((min(xs), min(ys), max(xs), max(ys)), paint.fill)
            self.path = []
        elif operator in (b"n", b"S", b"s"):
            self.path = []
        elif operator == b"sh":  # a shading fills the clipping area, which is not followed here
            self._painted(_PDF_EVERYWHERE, None)
        elif operator == b"Do" and operands:
            xobject = self.xobjects.get(operands[0])
            xobject = xobject.get_object() if xobject is not None else None
            if xobject is not None and xobject.get("/Subtype") == "/Image":
                self._painted(_pdf_box(cm, [(0, 0), (1, 0), (0, 1), (1, 1)]), None)
            elif xobject is not None and xobject.get("/Subtype") == "/Form":
                left, bottom, right, top = (float(value) for value in xobject.get("/BBox", [0, 0, 0, 0])[:4])
                corners = [(left, bottom), (right, bottom), (left, top), (right, top)]
                self._painted(_pdf_box(cm, corners), None)

    def _painted(self, area: Box, color: RGBA | None) -> None:
        if self.busy:
            return
        if len(self.areas) < _PDF_MAX_AREAS:
            self.areas.append((area, color))
        else:  # too busy a page to tell what lies behind its text
            self.areas, self.busy = [(_PDF_EVERYWHERE, None)], True

    def _judged(self, space: str) -> bool:
        """Whether colours in this space are grey, RGB or CMYK values that can be compared."""
        if space in ("/DeviceGray", "/DeviceRGB", "/DeviceCMYK", "/CalGray", "/CalRGB"):
            return True
        named = self.spaces.get(space) if hasattr(self.spaces, "get") else None
        if named is None:
            return False
        named = named.get_object()
        family = named[0] if isinstance(named, list) and named else named
        return str(family) in ("/ICCBased", "/CalGray", "/CalRGB", "/DeviceGray", "/DeviceRGB", "/DeviceCMYK")

    @staticmethod
    def _device_color(operands: list[Any]) -> RGBA | None:
        try:
            values = [min(max(float(value), 0.0), 1.0) for value in operands]
        except (TypeError, ValueError):
            return None  # a pattern name
        if len(values) == 1:
            return (values[0], values[0], values[0], 1.0)
        if len(values) == 3:
            return (values[0], values[1], values[2], 1.0)
        if len(values) == 4:
            c, m, y, k = values
            return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k), 1.0)
        return None

    def _behind(self, x: float, y: float) -> RGBA | None:
        for (left, bottom, right, top), color in reversed(self.areas):
            if left <= x <= right and bottom <= y <= top:
                return color
        return WHITE

    def _reason(self, operands: list[Any], cm: Any, tm: Any) -> str | None:
        m = _pdf_matrix(cm, tm)
        if m is None:
            return None
        x, y = m[4], m[5]
        size = abs(self.paint.font_size or 0.0) * math.hypot(m[2], m[3])
        if self.box is not None:
            left, bottom, right, top = self.box
            glyphs = sum(len(part) for part in _pdf_strings(operands))
            if x >= right or y >= top or y + max(size, 1.0) <= bottom or x + glyphs * size * 0.6 <= left:
                return "offpage"
        if self.paint.font_size is not None and size < _PDF_TINY_POINTS:
            return "tiny"
        mode = self.paint.mode % 8
        behind = self._behind(x, y)
        if mode in (3, 7):
            return None if behind is None else "invisible"
        paints = ([self.paint.fill] if mode in (0, 2, 4, 6) else []) + (
            [self.paint.stroke] if mode in (1, 2, 5, 6) else []
        )
        if behind is None or any(paint is None for paint in paints):
            return None
        if all(contrast(paint, behind) < MIN_CONTRAST for paint in paints if paint is not None):
            return "unpainted"
        return None


def _pdf_strings(operands: list[Any]) -> list[Any]:
    strings: list[Any] = []
    for operand in operands:
        if isinstance(operand, (str, bytes)):
            strings.append(operand)
        elif isinstance(operand, list):
            strings.extend(part for part in operand if isinstance(part, (str, bytes)))
    return strings


def _pdf_points(cm: Any, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    c = [float(value) for value in cm][:6]
    return [(px * c[0] + py * c[2] + c[4], px * c[1] + py * c[3] + c[5]) for px, py in points]


def _pdf_box(cm: Any, points: list[tuple[float, float]]) -> Box:
    placed = _pdf_points(cm, points)
    xs, ys = [x for x, _ in placed], [y for _, y in placed]
    return min(xs), min(ys), max(xs), max(ys)


def _pdf_hidden_text(page: Any, reason: str) -> str:
    """The text of one page that is hidden for `reason`, by a second extraction that keeps only it."""
    parts: list[str] = []
    hidden = _PdfHiddenText(page, keep=reason)
    page.extract_text(
        visitor_text=lambda text, *_: parts.append(text) if isinstance(text, str) else None,
        visitor_operand_before=hidden.before,
        visitor_operand_after=hidden.after,
    )
    return _collapse(" ".join(parts).translate(_LIGATURES))


def _parse_pdf(name: str, data: bytes) -> tuple[str, str | None, list[HiddenFinding]]:
    damaged = f"{name}: the file is not a readable PDF (it may be damaged or incomplete)"
    locked = f"{name}: the PDF is password-protected; remove the password and upload it again"
    pages: list[list[_PdfLine]] = []
    found: list[HiddenFinding] = []
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError(locked)
        for number, page in enumerate(reader.pages, start=1):
            collector = _PdfLineCollector()
            hidden = _PdfHiddenText(page, keep=None)
            page.extract_text(
                visitor_text=collector.visit,
                visitor_operand_before=hidden.before,
                visitor_operand_after=hidden.after,
            )
            collector.end_line()
            pages.append(collector.lines)
            for reason in sorted(hidden.reasons):
                text = _pdf_hidden_text(page, reason)
                if text:
                    kind, why = _PDF_REASONS[reason]
                    found.append(finding(kind, f"Page {number}: {why}", text))
    except ParseError:
        raise
    except FileNotDecryptedError as exc:
        raise ParseError(locked) from exc
    except DependencyError as exc:
        raise ParseError(f"{name}: the PDF uses an encryption this server cannot open") from exc
    except Exception as exc:  # besides its own errors, pypdf raises assorted built-ins on malformed files
        raise ParseError(damaged) from exc
    try:
        metadata = reader.metadata
        meta_title = str(metadata.title) if metadata is not None and metadata.title else None
    except Exception:  # a broken info dictionary only costs the title, not the text
        meta_title = None
    return _render_pdf(pages), meta_title, found


def _render_pdf(pages: list[list[_PdfLine]]) -> str:
    weights: dict[float, int] = {}
    for lines in pages:
        for line in lines:
            key = round(line.size * 2) / 2
            weights[key] = weights.get(key, 0) + len(line.text)
    body = max(weights.items(), key=lambda item: (item[1], -item[0]))[0] if weights else 0.0
    heading_sizes = sorted(
        {
            round(line.size * 2) / 2
            for lines in pages
            for line in lines
            if body > 0 and line.size >= body * _HEADING_RATIO and len(line.text) <= _MAX_HEADING_CHARS
        },
        reverse=True,
    )
    levels = {size: min(rank + 1, 3) for rank, size in enumerate(heading_sizes)}
    rendered = [_render_pdf_page(lines, levels) for lines in pages]
    return "\n\n".join(page for page in rendered if page)


def _render_pdf_page(lines: list[_PdfLine], levels: dict[float, int]) -> str:
    # Bare page numbers at the top or bottom of a page are furniture, not content.
    while lines and _PDF_PAGE_NUMBER.fullmatch(lines[-1].text):
        lines = lines[:-1]
    while lines and _PDF_PAGE_NUMBER.fullmatch(lines[0].text):
        lines = lines[1:]
    if not lines:
        return ""
    widest = max(len(line.text) for line in lines)
    blocks: list[_PdfBlock] = []
    for line in lines:
        level = levels.get(round(line.size * 2) / 2, 0)
        text = line.text
        if level:
            kind = "heading"
        elif _PDF_BULLET.match(text):
            kind, text = "item", _PDF_BULLET.sub("- ", text, count=1)
        elif _PDF_NUMBERED.match(text):
            kind = "item"
        else:
            kind = "paragraph"
        current = blocks[-1] if blocks else None
        if current is not None and _pdf_continues(current, line, kind, level, widest):
            current.text = _join_pdf_lines(current.text, text)
            current.last = line
        else:
            blocks.append(_PdfBlock(kind, level, text, line, line))

    out: list[str] = []
    previous_kind = ""
    for block in blocks:
        if block.kind == "heading" and len(block.text) <= _MAX_HEADING_CHARS:
            out.append("#" * block.level + " " + block.text)
        elif block.kind == "item" and previous_kind == "item":
            out[-1] += "\n" + block.text  # consecutive items form one list
        else:
            out.append(block.text)
        previous_kind = block.kind
    return "\n\n".join(out)


def _pdf_continues(block: _PdfBlock, line: _PdfLine, kind: str, level: int, widest: int) -> bool:
    if kind == "item":
        return False
    if block.kind == "heading" or kind == "heading":
        return block.kind == kind and block.level == level and _pdf_gap(block.last, line) == "line"
    if block.kind == "item" and (
        line.x is None or block.first.x is None or line.x <= block.first.x + 1.0  # not indented under it
    ):
        return False
    previous = block.last.text
    gap = _pdf_gap(block.last, line)
    if gap == "break":
        return False
    runs_on = not previous.endswith(_SENTENCE_END) and line.text[:1].islower()
    if gap == "wide":
        return runs_on
    # Without extra spacing, a sentence ending on a clearly short line still ends the paragraph.
    ends_short = previous.endswith(_SENTENCE_END) and widest >= 40 and len(previous) < 0.6 * widest
    return not ends_short


def _pdf_gap(previous: _PdfLine, line: _PdfLine) -> str:
    """Classify the vertical step between two lines: 'line' (same paragraph), 'wide' or 'break'."""
    if previous.y is None or line.y is None:
        return "line"
    size = max(previous.size, line.size, 1.0)
    gap = previous.y - line.y
    if abs(gap) < 0.1 * size:
        return "line"
    if gap < 0 or gap > 2.5 * size:
        return "break"
    return "wide" if gap > 1.5 * size else "line"


def _join_pdf_lines(head: str, tail: str) -> str:
    if head.endswith("\u00ad"):
        return head[:-1] + tail
    if head.endswith("-") and len(head) > 1 and not head[-2].isspace():
        if head[-2].isalpha() and tail[:1].islower():
            return head[:-1] + tail
        return head + tail
    return f"{head} {tail}"


# --- DOCX -------------------------------------------------------------------------------------------------

# Word files are zip archives; refusing absurd unpacked sizes up front keeps zip bombs out of memory.
_DOCX_MAX_UNPACKED = 200 * 1024 * 1024
_MAX_TABLE_NESTING = 10

_W_P, _W_TBL, _W_TR, _W_TC, _W_R = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:r")
_W_T, _W_TAB, _W_BR, _W_CR, _W_NBH = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:noBreakHyphen")
_DOCX_WRAPPERS = frozenset({qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:smartTag")})
# Deleted revisions, text boxes (drawn separately, often twice via a fallback) and properties are not text.
_DOCX_SKIPPED = frozenset(
    {
        qn("w:del"),
        qn("w:moveFrom"),
        qn("w:txbxContent"),
        qn("w:pPr"),
        qn("w:rPr"),
        qn("w:sdtPr"),
        "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
    }
)


_W_VAL = qn("w:val")
_DOCX_OFF = frozenset({"0", "false", "off"})
_DOCX_MIN_HALF_POINTS = 2  # sizes are in half-points: under 1pt nobody reads it


@dataclass(frozen=True)
class _DocxLook:
    """How a run's text is drawn, as far as being seen goes; None where nothing says."""

    vanish: bool | None = None
    color: str | None = None  # "RRGGBB" or "auto"
    size: int | None = None  # half-points
    fill: str | None = None  # what is painted behind the text (shading or highlight): "RRGGBB" or a name

    def over(self, below: _DocxLook) -> _DocxLook:
        return _DocxLook(
            vanish=self.vanish if self.vanish is not None else below.vanish,
            color=self.color if self.color is not None else below.color,
            size=self.size if self.size is not None else below.size,
            fill=self.fill if self.fill is not None else below.fill,
        )


def _docx_shading(shd: Any) -> str | None:
    if shd is None:
        return None
    pattern, color, fill = shd.get(_W_VAL), shd.get(qn("w:color")), shd.get(qn("w:fill"))
    if pattern == "solid" and color and color != "auto":
        return str(color)
    if fill and fill != "auto" and pattern != "nil":
        return str(fill)
    return None


def _docx_look(rpr: Any) -> _DocxLook:
    if rpr is None:
        return _DocxLook()
    vanish = rpr.find(qn("w:vanish"))
    color = rpr.find(qn("w:color"))
    size = rpr.find(qn("w:sz"))
    highlight = rpr.find(qn("w:highlight"))
    size_value = size.get(_W_VAL) if size is not None else None
    fill = _docx_shading(rpr.find(qn("w:shd")))
    if highlight is not None and highlight.get(_W_VAL) not in (None, "none"):
        fill = str(highlight.get(_W_VAL))
    return _DocxLook(
        vanish=None if vanish is None else vanish.get(_W_VAL, "true").lower() not in _DOCX_OFF,
        color=str(color.get(_W_VAL)) if color is not None and color.get(_W_VAL) else None,
        size=int(size_value) if size_value and size_value.isdecimal() else None,
        fill=fill,
    )


def _docx_color(value: str | None) -> RGBA | None:
    if not value or value == "auto":
        return None
    return parse_color(f"#{value}") if re.fullmatch(r"[0-9A-Fa-f]{6}", value) else parse_color(value)


@dataclass
class _DocxHidden:
    """Which runs Word would not show: hidden (`w:vanish`), under 1pt, or coloured like what is behind them
    (white on the page, or on the paragraph's or cell's shading). Styles count: the paragraph style's and
    the run style's, with what they are based on, under the run's own formatting."""

    defaults: _DocxLook
    paragraph_styles: dict[str, tuple[str | None, _DocxLook, str | None]]  # id -> (based on, look, shading)
    run_styles: dict[str, tuple[str | None, _DocxLook]]
    found: list[tuple[str, str]] = field(default_factory=list)  # (why, text) per stretch of hidden runs

    @classmethod
    def from_styles(cls, styles_element: Any) -> _DocxHidden:
        defaults = _docx_look(
            styles_element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
        )
        paragraph_styles: dict[str, tuple[str | None, _DocxLook, str | None]] = {}
        run_styles: dict[str, tuple[str | None, _DocxLook]] = {}
        for style in styles_element.findall(qn("w:style")):
            style_id = style.get(qn("w:styleId"))
            if not style_id:
                continue
            based_on = _docx_attr(style, "w:basedOn")
            look = _docx_look(style.find(qn("w:rPr")))
            kind = style.get(qn("w:type"), "paragraph")
            if kind == "paragraph":
                ppr = style.find(qn("w:pPr"))
                shading = _docx_shading(ppr.find(qn("w:shd"))) if ppr is not None else None
                paragraph_styles[style_id] = (based_on, look, shading)
            elif kind == "character":
                run_styles[style_id] = (based_on, look)
        return cls(defaults=defaults, paragraph_styles=paragraph_styles, run_styles=run_styles)

    def paragraph_look(self, p: Any, cell_fill: str | None) -> _DocxLook:
        look, fill = self.defaults, cell_fill
        chain: list[tuple[_DocxLook, str | None]] = []
        style_id = _docx_attr(p, "w:pPr/w:pStyle")
        while style_id in self.paragraph_styles and len(chain) < 10:  # basedOn may loop
            based_on, style_look, shading = self.paragraph_styles[style_id]
            chain.append((style_look, shading))
            style_id = based_on
        for style_look, shading in reversed(chain):
            look = style_look.over(look)
            fill = shading or fill
        ppr = p.find(qn("w:pPr"))
        own = _docx_shading(ppr.find(qn("w:shd"))) if ppr is not None else None
        return _DocxLook(fill=own or fill).over(look)

    def why(self, run: Any, paragraph: _DocxLook) -> str | None:
        """Why Word would not show this run, or None if it would."""
        chain: list[_DocxLook] = []
        style_id = _docx_attr(run, "w:rPr/w:rStyle")
        while style_id in self.run_styles and len(chain) < 10:
            based_on, style_look = self.run_styles[style_id]
            chain.append(style_look)
            style_id = based_on
        look = paragraph
        for style_look in reversed(chain):
            look = style_look.over(look)
        look = _docx_look(run.find(qn("w:rPr"))).over(look)
        if look.vanish:
            return "marked hidden (w:vanish)"
        if look.size is not None and look.size < _DOCX_MIN_HALF_POINTS:
            return "in a font smaller than 1pt"
        color = _docx_color(look.color)
        if color is None:
            return None
        behind = _docx_color(look.fill) if look.fill else WHITE
        if behind is not None and contrast(color, behind) < MIN_CONTRAST:
            return "coloured like what is behind it (such as white on white)"
        return None


@dataclass
class _DocxStyle:
    name: str
    based_on: str | None
    num_id: str | None
    outline_level: int | None


@dataclass
class _DocxRenderer:
    styles: dict[str, _DocxStyle]
    default_style: str | None
    numbering: dict[tuple[str, int], tuple[str, int]]  # (numId, level) -> (numFmt, start)
    hidden: _DocxHidden
    blocks: list[str] = field(default_factory=list)
    list_lines: list[str] = field(default_factory=list)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    marker_widths: dict[int, int] = field(default_factory=dict)

    def render(self, body: Any) -> str:
        for element in _docx_blocks(body, frozenset({_W_P, _W_TBL})):
            if element.tag == _W_P:
                self._paragraph(element)
            else:
                self._flush_list()
                self.blocks.extend(_docx_table(element, 0, self.hidden))
        self._flush_list()
        return "\n\n".join(self.blocks)

    def _flush_list(self) -> None:
        if self.list_lines:
            self.blocks.append("\n".join(self.list_lines))
        self.list_lines = []
        self.marker_widths = {}

    def _paragraph(self, p: Any) -> None:
        text = _docx_paragraph_text(p, self.hidden, None)
        if not text.strip():
            return
        chain = self._style_chain(p)
        level = self._heading_level(p, chain)
        if level:
            self._flush_list()
            self.blocks.append("#" * level + " " + _collapse(text))
            return
        item = self._list_item(p, chain)
        if item is None:
            self._flush_list()
            lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
            self.blocks.append("\n".join(line for line in lines if line))
            return
        marker, depth = item
        self.marker_widths[depth] = len(marker) + 1
        self.marker_widths = {d: w for d, w in self.marker_widths.items() if d <= depth}
        indent = "".join(" " * self.marker_widths.get(d, 2) for d in range(depth))
        self.list_lines.append(f"{indent}{marker} {_collapse(text)}")

    def _style_chain(self, p: Any) -> list[_DocxStyle]:
        style_id = _docx_attr(p, "w:pPr/w:pStyle") or self.default_style
        chain: list[_DocxStyle] = []
        while style_id and style_id in self.styles and len(chain) < 10:  # basedOn may loop
            style = self.styles[style_id]
            chain.append(style)
            style_id = style.based_on
        return chain

    def _heading_level(self, p: Any, chain: list[_DocxStyle]) -> int:
        for style in chain:
            match = re.fullmatch(r"heading\s*([1-9])", style.name, re.IGNORECASE)
            if match:
                return min(int(match.group(1)), 6)
            if style.name.lower() == "title":
                return 1
        outline = _docx_attr(p, "w:pPr/w:outlineLvl")
        levels = [int(outline)] if outline and outline.isdecimal() else []
        levels += [style.outline_level for style in chain if style.outline_level is not None]
        # Outline levels run 0-8 for headings; 9 means body text.
        return levels[0] + 1 if levels and levels[0] < 6 else 0

    def _list_item(self, p: Any, chain: list[_DocxStyle]) -> tuple[str, int] | None:
        num_id = _docx_attr(p, "w:pPr/w:numPr/w:numId")
        ilvl = _docx_attr(p, "w:pPr/w:numPr/w:ilvl")
        if num_id is None:
            num_id = next((style.num_id for style in chain if style.num_id), None)
        style_kind, style_depth = None, 0
        for style in chain:
            match = re.fullmatch(r"list (bullet|number)(?: ([2-9]))?", style.name.lower())
            if match:
                # "List Bullet 2" and friends carry their nesting in the name, not in the numbering level.
                style_kind, style_depth = match.group(1), int(match.group(2) or 1) - 1
                break
        if num_id == "0" or (num_id is None and style_kind is None):
            return None
        depth = min(int(ilvl), 8) if ilvl is not None and ilvl.isdecimal() else style_depth
        fmt, start = self.numbering.get((num_id or "", depth), self.numbering.get((num_id or "", 0), ("", 1)))
        if fmt == "none":
            return None
        bullet = fmt == "bullet" if fmt else style_kind != "number"
        if bullet:
            return "-", depth
        key = num_id or f"style:{style_kind}"
        value = self.counters.get((key, depth))
        value = start if value is None else value + 1
        self.counters[(key, depth)] = value
        for deeper in [k for k in self.counters if k[0] == key and k[1] > depth]:
            del self.counters[deeper]
        return f"{value}.", depth


def _docx_attr(element: Any, path: str) -> str | None:
    found = element.find(
        path, namespaces={"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    )
    if found is None:
        return None
    value = found.get(qn("w:val"))
    return str(value) if value is not None else None


def _docx_blocks(container: Any, wanted: frozenset[str]) -> Iterator[Any]:
    """Children of `container` with a tag in `wanted`, in order, looking inside content controls."""
    stack = list(reversed(container))
    while stack:
        element = stack.pop()
        if element.tag in wanted:
            yield element
        elif element.tag in _DOCX_WRAPPERS:
            stack.extend(reversed(element))


def _docx_paragraph_text(p: Any, hidden: _DocxHidden, cell_fill: str | None) -> str:
    """A paragraph's text without the runs Word would not show; those go to `hidden.found`."""
    look = hidden.paragraph_look(p, cell_fill)
    pieces: list[tuple[str, str]] = []

    def run_hidden(run: Any) -> bool:
        why = hidden.why(run, look)
        if why is None:
            return False
        text = _docx_text(run)
        if pieces and pieces[-1][0] == why:
            pieces[-1] = (why, pieces[-1][1] + text)
        else:
            pieces.append((why, text))
        return True

    text = _docx_text(p, run_hidden)
    hidden.found.extend((why, piece) for why, piece in pieces if piece.strip())
    return text


def _docx_text(element: Any, run_hidden: Callable[[Any], bool] | None = None) -> str:
    parts: list[str] = []
    stack = list(reversed(element))
    while stack:
        node = stack.pop()
        tag = node.tag
        if not isinstance(tag, str) or tag in _DOCX_SKIPPED:
            continue
        if tag == _W_R and run_hidden is not None and run_hidden(node):
            continue
        if tag == _W_T:
            parts.append(node.text or "")
        elif tag == _W_TAB:
            parts.append("\t")
        elif tag in (_W_BR, _W_CR):
            parts.append("\n")
        elif tag == _W_NBH:
            parts.append("-")
        else:
            stack.extend(reversed(node))
    return "".join(parts)


def _docx_cell_text(tc: Any, nesting: int, hidden: _DocxHidden) -> str:
    parts: list[str] = []
    tcpr = tc.find(qn("w:tcPr"))
    fill = _docx_shading(tcpr.find(qn("w:shd"))) if tcpr is not None else None
    for element in _docx_blocks(tc, frozenset({_W_P, _W_TBL})):
        if element.tag == _W_P:
            parts.append(_docx_paragraph_text(element, hidden, fill))
        elif nesting < _MAX_TABLE_NESTING:
            parts.extend(_docx_table(element, nesting + 1, hidden))
    return _collapse(" ".join(parts))


def _docx_table(tbl: Any, nesting: int, hidden: _DocxHidden) -> list[str]:
    rows: list[list[str]] = []
    for tr in _docx_blocks(tbl, frozenset({_W_TR})):
        cells: list[str] = []
        for tc in _docx_blocks(tr, frozenset({_W_TC})):
            cells.append(_docx_cell_text(tc, nesting, hidden))
            span = _docx_attr(tc, "w:tcPr/w:gridSpan")
            extra = min(int(span), _MAX_COLSPAN) - 1 if span and span.isdecimal() else 0
            cells.extend([""] * max(extra, 0))
        rows.append(cells)
    if rows and max(len(cells) for cells in rows) <= 1:
        # One-column tables are boxes around text in Word documents, not data.
        return [cell for cells in rows for cell in cells if cell]
    table = _markdown_table(rows)
    return [table] if table else []


def _parse_docx(name: str, data: bytes) -> tuple[str, str | None, list[HiddenFinding]]:
    invalid = f"{name}: not a valid Word document (.docx); it may be damaged or another kind of file"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ParseError(invalid) from exc
    if unpacked > _DOCX_MAX_UNPACKED:
        raise ParseError(f"{name}: the document unpacks to {_format_size(unpacked)}, which is too large")
    try:
        document = docx.Document(io.BytesIO(data))
        core_title = document.core_properties.title
        styles_element = document.styles.element
        numbering_element = document.part.numbering_part.element
    except Exception as exc:  # python-docx raises KeyError, ValueError, XML syntax errors and its own
        raise ParseError(invalid) from exc

    styles: dict[str, _DocxStyle] = {}
    default_style = None
    for style in styles_element.findall(qn("w:style")):
        style_id = style.get(qn("w:styleId"))
        if not style_id or style.get(qn("w:type"), "paragraph") != "paragraph":
            continue
        outline = _docx_attr(style, "w:pPr/w:outlineLvl")
        styles[style_id] = _DocxStyle(
            name=_docx_attr(style, "w:name") or style_id,
            based_on=_docx_attr(style, "w:basedOn"),
            num_id=_docx_attr(style, "w:pPr/w:numPr/w:numId"),
            outline_level=int(outline) if outline and outline.isdecimal() else None,
        )
        if style.get(qn("w:default")) in ("1", "true", "on"):
            default_style = style_id

    abstract: dict[tuple[str, int], tuple[str, int]] = {}
    for definition in numbering_element.findall(qn("w:abstractNum")):
        for level in definition.findall(qn("w:lvl")):
            ilvl, start = level.get(qn("w:ilvl"), "0"), _docx_attr(level, "w:start")
            if ilvl.isdecimal():
                abstract[(definition.get(qn("w:abstractNumId"), ""), int(ilvl))] = (
                    _docx_attr(level, "w:numFmt") or "decimal",
                    int(start) if start and start.isdecimal() else 1,
                )
    numbering: dict[tuple[str, int], tuple[str, int]] = {}
    for num in numbering_element.findall(qn("w:num")):
        abstract_id = _docx_attr(num, "w:abstractNumId") or ""
        for (owner, ilvl), value in abstract.items():
            if owner == abstract_id:
                numbering[(num.get(qn("w:numId"), ""), ilvl)] = value

    hidden = _DocxHidden.from_styles(styles_element)
    renderer = _DocxRenderer(styles=styles, default_style=default_style, numbering=numbering, hidden=hidden)
    text = renderer.render(document.element.body)
    found = [finding("hidden_run", f"Word text {why}", piece) for why, piece in hidden.found]
    return text, core_title or None, found
