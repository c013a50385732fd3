"""Whether CSS keeps an element's text from a reader's eyes: inline `style` attributes and the simple rules of
a page's own `<style>` sheets, with the text colour and background an element inherits.

Only what the markup itself decides is judged. Layout that needs a rendering engine (an element covered by
another, text clipped by a parent's box, rules behind combinators, media queries or external sheets) is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import tinycss2
import tinycss2.color3

RGBA = tuple[float, float, float, float]
WHITE: RGBA = (1.0, 1.0, 1.0, 1.0)
BLACK: RGBA = (0.0, 0.0, 0.0, 1.0)

# Text whose contrast with its background is below this cannot be told apart from it (WCAG asks 4.5).
MIN_CONTRAST = 1.1
# Declarations longer than this are not read: no legitimate inline style or page sheet comes near.
_MAX_STYLE_CHARS = 20_000
_MAX_SHEET_CHARS = 500_000
_MAX_RULES = 5_000
# Off-screen tricks move text by thousands of pixels; a few hundred is still layout.
_OFFSCREEN_PX = -500.0
_PX_PER = {
    "px": 1.0,
    "pt": 4 / 3,
    "pc": 16.0,
    "em": 16.0,
    "rem": 16.0,
    "in": 96.0,
    "cm": 96 / 2.54,
    "mm": 9.6 / 2.54,
}
_LENGTH = re.compile(r"(-?(?:\d+\.?\d*|\.\d+))\s*([a-z%]*)")


@dataclass(frozen=True)
class Paint:
    """What an element's text is drawn with: its colour and the background behind it (None: unknown, such as
    an image, so no colour comparison is made)."""

    color: RGBA = BLACK
    background: RGBA | None = WHITE


def declarations(style: str) -> dict[str, str]:
    """An inline style's declarations, property -> lower-cased value; a later declaration wins."""
    found: dict[str, str] = {}
    for item in tinycss2.parse_declaration_list(
        style[:_MAX_STYLE_CHARS], skip_comments=True, skip_whitespace=True
    ):
        if item.type == "declaration":
            found[item.lower_name] = tinycss2.serialize(item.value).strip().lower()
    return found


def parse_color(value: str) -> RGBA | None:
    """A CSS colour (names, #hex, rgb(), hsl(), transparent) as RGBA in 0..1; None if it is not one."""
    parsed = tinycss2.color3.parse_color(value.strip())
    if parsed is None or isinstance(parsed, str):  # 'currentColor' keeps the inherited colour
        return None
    return (float(parsed.red), float(parsed.green), float(parsed.blue), float(parsed.alpha))


def _over(top: RGBA, below: RGBA) -> RGBA:
    alpha = top[3]
    return (
        top[0] * alpha + below[0] * (1 - alpha),
        top[1] * alpha + below[1] * (1 - alpha),
        top[2] * alpha + below[2] * (1 - alpha),
        1.0,
    )


def _luminance(color: RGBA) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(color[0]) + 0.7152 * linear(color[1]) + 0.0722 * linear(color[2])


def contrast(first: RGBA, second: RGBA) -> float:
    """The WCAG contrast ratio of two opaque colours: 1 (the same) to 21 (black on white)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def hex_color(color: RGBA) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in color[:3])


def _background(decl: dict[str, str]) -> tuple[bool, RGBA | None]:
    """(whether the element sets a background, its colour; None for an image or gradient)."""
    if "background-image" in decl and decl["background-image"] != "none":
        return True, None
    value = decl.get("background-color")
    if value is None and "background" in decl:
        shorthand = decl["background"]
        if "url(" in shorthand or "gradient(" in shorthand:
            return True, None
        for token in tinycss2.parse_component_value_list(shorthand, skip_comments=True):
            if token.type in ("ident", "hash", "function"):
                color = tinycss2.color3.parse_color(token)
                if color is not None and not isinstance(color, str):
                    return True, (float(color.red), float(color.green), float(color.blue), float(color.alpha))
        return False, None
    if value is None:
        return False, None
    return True, parse_color(value)


def child_paint(decl: dict[str, str], parent: Paint) -> Paint:
    """The paint an element with these declarations passes on to its text and children."""
    color = parent.color
    if "color" in decl:
        parsed = parse_color(decl["color"])
        if parsed is not None:
            color = parsed
    background = parent.background
    sets, own = _background(decl)
    if sets:
        if own is None:
            background = None
        elif background is not None:
            background = _over(own, background)
        elif own[3] >= 1.0:
            background = own
    return Paint(color=color, background=background)


def _length_px(value: str) -> tuple[float, str] | None:
    match = _LENGTH.match(value.strip())
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or "px"
    if unit in _PX_PER:
        return number * _PX_PER[unit], unit
    return number, unit  # %, vw, vh and unknown units: the number as given


def _tiny_font(value: str) -> bool:
    length = _length_px(value)
    if length is None:
        return False
    number, unit = length
    if unit in _PX_PER:
        return number <= 1.5  # about 1pt
    return unit in ("%", "vw", "vh", "vmin", "vmax") and number <= (10 if unit == "%" else 0.1)


def _offscreen(decl: dict[str, str]) -> bool:
    def far(name: str, limit: float = _OFFSCREEN_PX) -> bool:
        length = _length_px(decl.get(name, ""))
        if length is None:
            return False
        number, unit = length
        return number <= (-100 if unit == "%" else limit)

    if decl.get("position") in ("absolute", "fixed") and any(
        far(side) for side in ("left", "top", "right", "bottom")
    ):
        return True
    if far("text-indent") or far("margin-left", 2 * _OFFSCREEN_PX) or far("margin-top", 2 * _OFFSCREEN_PX):
        return True
    return bool(re.search(r"translate[xy]?\(\s*-\d{3,}", decl.get("transform", "")))


def _clipped(decl: dict[str, str]) -> bool:
    clip = decl.get("clip", "")
    if clip.startswith("rect("):
        numbers = [float(n) for n in re.findall(r"-?\d+\.?\d*", clip)]
        if len(numbers) == 4 and (numbers[2] <= numbers[0] or numbers[1] <= numbers[3]):
            return True
    clip_path = decl.get("clip-path", "")
    inset = re.match(r"inset\(\s*(\d+\.?\d*)%", clip_path)
    if (inset and float(inset.group(1)) >= 50) or re.match(r"circle\(\s*0", clip_path):
        return True
    if decl.get("overflow", decl.get("overflow-x", decl.get("overflow-y"))) in ("hidden", "clip"):
        for name in ("width", "height", "max-width", "max-height"):
            length = _length_px(decl.get(name, ""))
            if length is not None and length[1] in _PX_PER and length[0] <= 1:
                return True
    return False


def sets_paint(decl: dict[str, str]) -> bool:
    """Whether the declarations change the text colour or the background."""
    return "color" in decl or _background(decl)[0]


def hidden_reason(decl: dict[str, str]) -> str | None:
    """Why an element with these declarations shows nothing, whatever its colours; None if it shows its text.
    Colours are judged on the text itself (`color_reason` on the paint it is drawn with): an element's
    background may hide its own text while a child sets a colour that shows."""
    if decl.get("display") == "none":
        return "display:none"
    if decl.get("visibility") in ("hidden", "collapse"):
        return f"visibility:{decl['visibility']}"
    opacity = _length_px(decl.get("opacity", ""))
    if opacity is not None and opacity[0] <= (5 if opacity[1] == "%" else 0.05):
        return f"opacity:{decl['opacity']}"
    if "font-size" in decl and _tiny_font(decl["font-size"]):
        return f"font-size:{decl['font-size']}"
    if _offscreen(decl):
        return "positioning off screen"
    if _clipped(decl):
        return "clipping to nothing"
    if re.search(r"scale[xy]?\(\s*0*\.?0*\s*[,)]", decl.get("transform", "")):
        return "transform:scale(0)"
    return None


def color_reason(paint: Paint) -> str | None:
    """Why text in this paint cannot be seen (transparent, or coloured like its background), or None."""
    if paint.background is None:
        return None
    if paint.color[3] <= 0.05:
        return "a transparent colour"
    shown = _over(paint.color, paint.background)
    if contrast(shown, paint.background) < MIN_CONTRAST:
        return f"the colour of its background, {hex_color(shown)} on {hex_color(paint.background)}"
    return None


# --- page style sheets ------------------------------------------------------------------------------------

# The properties `hidden_reason` and `child_paint` read; a sheet's other declarations are not kept.
_RELEVANT = frozenset(
    {
        "display",
        "visibility",
        "opacity",
        "font-size",
        "position",
        "left",
        "top",
        "right",
        "bottom",
        "text-indent",
        "margin-left",
        "margin-top",
        "transform",
        "clip",
        "clip-path",
        "overflow",
        "overflow-x",
        "overflow-y",
        "width",
        "height",
        "max-width",
        "max-height",
        "color",
        "background",
        "background-color",
        "background-image",
    }
)
_PAINTING = frozenset({"color", "background", "background-color", "background-image"})
_COMPOUND = re.compile(r"([a-z][a-z0-9-]*|\*)?((?:[.#][a-z0-9_-]+)*)", re.IGNORECASE)


@dataclass(frozen=True)
class _Rule:
    specificity: tuple[int, int, int]
    order: int
    tag: str | None
    ids: frozenset[str]
    classes: frozenset[str]
    decl: dict[str, str]


@dataclass
class Stylesheet:
    """The rules of a page's `<style>` elements whose selectors are single compounds (`p`, `.note`, `#x`,
    `span.tip`, lists of these). Rules with combinators, attribute or pseudo selectors and at-rules (media
    queries: print styles hide things legitimately) are left out."""

    rules: list[_Rule] = field(default_factory=list)
    # False when a rule left out sets colours or backgrounds: an element's background is then not known.
    complete: bool = True
    _index: dict[str, list[_Rule]] = field(default_factory=dict)

    @classmethod
    def parse(cls, sources: Iterable[str]) -> Stylesheet:
        css = "\n".join(sources)[:_MAX_SHEET_CHARS]
        sheet = cls()
        if not css.strip():
            return sheet
        for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
            if rule.type == "at-rule" and rule.content is not None:
                body = tinycss2.serialize(rule.content).lower()
                sheet.complete = sheet.complete and "color" not in body and "background" not in body
            if rule.type != "qualified-rule" or len(sheet.rules) >= _MAX_RULES:
                continue
            decl = {
                name: value
                for name, value in declarations(tinycss2.serialize(rule.content)).items()
                if name in _RELEVANT
            }
            if not decl:
                continue
            painting = any(name in _PAINTING for name in decl)
            for selector in tinycss2.serialize(rule.prelude).split(","):
                parsed = _compound(selector.strip())
                if parsed is None:
                    sheet.complete = sheet.complete and not painting
                else:
                    tag, ids, classes = parsed
                    specificity = (len(ids), len(classes), 0 if tag is None else 1)
                    sheet._add(_Rule(specificity, len(sheet.rules), tag, ids, classes, decl))
        return sheet

    def _add(self, rule: _Rule) -> None:
        self.rules.append(rule)
        if rule.ids:
            key = "#" + min(rule.ids)
        elif rule.classes:
            key = "." + min(rule.classes)
        else:
            key = rule.tag or "*"
        self._index.setdefault(key, []).append(rule)

    def matching(self, tag: str, classes: Sequence[str], element_id: str | None) -> dict[str, str]:
        """The declarations the sheet gives an element, in cascade order (inline styles go on top)."""
        if not self.rules:
            return {}
        own = frozenset(classes)
        keys = [tag, "*", *(f".{name}" for name in own)]
        if element_id is not None:
            keys.append("#" + element_id)
        matched = [
            rule
            for key in keys
            for rule in self._index.get(key, ())
            if (rule.tag is None or rule.tag == tag)
            and rule.classes <= own
            and (not rule.ids or (element_id is not None and rule.ids == {element_id}))
        ]
        merged: dict[str, str] = {}
        for rule in sorted(matched, key=lambda r: (r.specificity, r.order)):
            merged.update(rule.decl)
        return merged


def _compound(selector: str) -> tuple[str | None, frozenset[str], frozenset[str]] | None:
    match = _COMPOUND.fullmatch(selector)
    if not selector or not match:
        return None
    tag = match.group(1)
    parts = re.findall(r"([.#])([a-z0-9_-]+)", match.group(2) or "", re.IGNORECASE)
    ids = frozenset(name for kind, name in parts if kind == "#")
    classes = frozenset(name for kind, name in parts if kind == ".")
    return (None if tag in (None, "*") else tag.lower()), ids, classes
