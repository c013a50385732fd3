"""PDF files: the text pypdf extracts, rebuilt into headings (by font size), list items and paragraphs
(by position); and the text a reader never sees (off the page, under 1pt, invisible, or painted in the colour
behind it), which the text leaves out."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from ..safety.hidden import HiddenFinding, finding
from ..safety.styles import BLACK, MIN_CONTRAST, RGBA, WHITE, contrast
from .common import ParseError, collapse

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
    return collapse(" ".join(parts).translate(_LIGATURES))


def parse_pdf(name: str, data: bytes) -> tuple[str, str | None, list[HiddenFinding]]:
    """The text of every page, the metadata title (a fallback for the document's title) and the text each
    page hides from readers."""
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
