"""HTML files: the page's content as Markdown-like text (headings, lists, tables, quotes, code), without
scripts, forms, media or page chrome; and what the page hides from its readers (comments, hidden elements,
text coloured like its background), which the text leaves out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, PreformattedString

from ..safety.hidden import HiddenFinding, element_declarations, finding
from ..safety.styles import Paint, Stylesheet, child_paint, color_reason, hidden_reason
from .common import MAX_COLSPAN, ParseError, collapse, markdown_table

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


def parse_html(name: str, source: str) -> tuple[str, str | None, list[HiddenFinding]]:
    """The page's text, its <title> (a fallback for the document's title) and what it hides from readers."""
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
                text = collapse(child.get_text(" "))
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
        text = collapse(" ".join(texts))
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
            text = collapse(" ".join(self._child().render(node.contents)))
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
                cells.extend([] for _ in range(_int_attribute(cell, "colspan", 1, upper=MAX_COLSPAN) - 1))
            rows.append(cells)
        if not rows:  # a <table> with no rows at all: keep whatever text it holds
            return blocks + self._child(["caption"]).render(node.contents)
        # Tables used for page layout (one column, or tables inside tables) read better as paragraphs.
        if layout or max(len(cells) for cells in rows) <= 1:
            return blocks + [block for cells in rows for cell in cells for block in cell]
        table = markdown_table([[" ".join(cell) for cell in cells] for cells in rows])
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
