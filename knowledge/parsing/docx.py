"""Word (.docx) files: headings, numbered and bulleted lists, paragraphs and tables from the document's
XML, with its styles and numbering; and the runs Word would not show (hidden, under 1pt, or coloured like
what is behind them), which the text leaves out."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import docx
from docx.oxml.ns import qn

from ..safety.hidden import HiddenFinding, finding
from ..safety.styles import MIN_CONTRAST, RGBA, WHITE, contrast, parse_color
from .common import MAX_COLSPAN, ParseError, collapse, format_size, markdown_table

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
            self.blocks.append("#" * level + " " + collapse(text))
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
        self.list_lines.append(f"{indent}{marker} {collapse(text)}")

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
    return collapse(" ".join(parts))


def _docx_table(tbl: Any, nesting: int, hidden: _DocxHidden) -> list[str]:
    rows: list[list[str]] = []
    for tr in _docx_blocks(tbl, frozenset({_W_TR})):
        cells: list[str] = []
        for tc in _docx_blocks(tr, frozenset({_W_TC})):
            cells.append(_docx_cell_text(tc, nesting, hidden))
            span = _docx_attr(tc, "w:tcPr/w:gridSpan")
            extra = min(int(span), MAX_COLSPAN) - 1 if span and span.isdecimal() else 0
            cells.extend([""] * max(extra, 0))
        rows.append(cells)
    if rows and max(len(cells) for cells in rows) <= 1:
        # One-column tables are boxes around text in Word documents, not data.
        return [cell for cells in rows for cell in cells if cell]
    table = markdown_table(rows)
    return [table] if table else []


def parse_docx(name: str, data: bytes) -> tuple[str, str | None, list[HiddenFinding]]:
    """The document's text, its core title (a fallback for the document's title) and the runs Word would
    not show."""
    invalid = f"{name}: not a valid Word document (.docx); it may be damaged or another kind of file"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ParseError(invalid) from exc
    if unpacked > _DOCX_MAX_UNPACKED:
        raise ParseError(f"{name}: the document unpacks to {format_size(unpacked)}, which is too large")
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
