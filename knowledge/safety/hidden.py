"""What a reader of a document does not see, and the text a reader does see.

A version's text is Markdown as written. Rendered, some of it shows nothing: HTML comments, Markdown comment
idioms (link reference definitions nothing links to, such as `[//]: # (...)`), inline HTML hidden by an
attribute or a style, and zero-width, tag or bidirectional-control characters. Such text is a way to plant
instructions that a reviewer never sees but search and drafts would quote. `visible_text` returns the text
without those parts (what is chunked, embedded and quoted) and a finding for each, so the knowledge admin is
warned; the stored text keeps them. The parsers of other formats report what they leave out (hidden HTML
elements, off-page PDF text, hidden Word runs) as `HiddenFinding`s of the same shape.

Known limits: indented (four-space) code blocks and code spans across lines are read as text; CSS comes only
from inline styles here (the HTML parser also reads the page's simple style rules).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from .styles import Paint, child_paint, color_reason, declarations, hidden_reason, sets_paint

__all__ = [
    "KINDS",
    "HiddenFinding",
    "HiddenScan",
    "finding",
    "spell_invisible",
    "visible_text",
]

KINDS: dict[str, str] = {
    "html_comment": "HTML comment",
    "markdown_comment": "Markdown comment",
    "invisible_characters": "Invisible characters",
    "tag_characters": "Text written in invisible tag characters",
    "hidden_html": "Hidden HTML element",
    "offpage_text": "Text outside the page",
    "hidden_text": "Invisible text",
    "hidden_run": "Hidden Word text",
}

MAX_FINDING_CHARS = 2000
# A line of invisible-character findings per line that has them, up to this many; then one summary.
_MAX_CHARACTER_FINDINGS = 20
_LINE_WINDOW = 160


@dataclass(frozen=True)
class HiddenFinding:
    """One piece of a document a reader does not see.

    `kind` is a key of `KINDS`; `detail` says where and why in words ("HTML comment at line 3",
    "<span> hidden (display:none) at line 9"); `text` is the hidden text itself, as written (for invisible
    characters: the line they sit in, each one spelled as ⟦U+200B⟧), at most MAX_FINDING_CHARS characters."""

    kind: str
    detail: str
    text: str


@dataclass(frozen=True)
class HiddenScan:
    """`text` without its hidden parts (what readers see, and what is chunked), and what was hidden."""

    text: str
    findings: tuple[HiddenFinding, ...]


def finding(kind: str, detail: str, text: str) -> HiddenFinding:
    """A finding with its text trimmed and capped at MAX_FINDING_CHARS (an ellipsis says it was cut)."""
    text = text.strip()
    if len(text) > MAX_FINDING_CHARS:
        text = text[: MAX_FINDING_CHARS - 1] + "…"
    return HiddenFinding(kind=kind, detail=detail, text=text)


# --- invisible characters ---------------------------------------------------------------------------------

_INVISIBLE = re.compile(
    "[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_JOINERS = frozenset("\u200c\u200d")
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"


def _is_tag(char: str) -> bool:
    return "\U000e0000" <= char <= "\U000e007f"


def _joinable(char: str) -> bool:
    # Joiners shape Arabic, Persian and Indic words and build emoji sequences; between Latin letters,
    # digits, punctuation or spaces they only split words so a filter misses them.
    return ord(char) >= 0x0370 and not char.isspace()


def _cjk(char: str) -> bool:
    code = ord(char)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3FFFF


def _flagged(text: str) -> list[int]:
    """Positions of the invisible characters that hide something; those with a job to do are left alone:
    a joiner inside an emoji or a non-Latin word, the tag letters of a subdivision flag (🏴 + tags), an
    ideographic variation selector after a CJK character, and a byte order mark at the very start."""
    found: list[int] = []
    flag_tags_until = -1
    for match in _INVISIBLE.finditer(text):
        at = match.start()
        char = text[at]
        if at < flag_tags_until:
            continue
        if at == 0 and char == "\ufeff":
            continue
        before = text[at - 1] if at > 0 else ""
        after = text[at + 1] if at + 1 < len(text) else ""
        if (
            char in _JOINERS
            and before
            and after
            and _joinable(before)
            and _joinable(after)
            and not _INVISIBLE.match(before)
            and not _INVISIBLE.match(after)
        ):
            continue
        if _is_tag(char) and before == _BLACK_FLAG:
            end = at
            while end < len(text) and end - at <= 8 and _is_tag(text[end]) and text[end] != _CANCEL_TAG:
                end += 1
            if (
                end < len(text)
                and text[end] == _CANCEL_TAG
                and all("\U000e0030" <= c <= "\U000e007a" for c in text[at:end])
            ):
                flag_tags_until = end + 1
                continue
        if "\U000e0100" <= char <= "\U000e01ef" and before and _cjk(before):
            continue
        found.append(at)
    return found


def _spell(char: str) -> str:
    return f"⟦U+{ord(char):04X}⟧"


def spell_invisible(text: str) -> str:
    """`text` with each hiding invisible character spelled out as ⟦U+200B⟧, so it can be shown."""
    positions = set(_flagged(text))
    if not positions:
        return text
    return "".join(_spell(char) if index in positions else char for index, char in enumerate(text))


def _character_name(char: str) -> str:
    if _is_tag(char):
        return "TAG CHARACTER"
    if "\U000e0100" <= char <= "\U000e01ef":
        return "VARIATION SELECTOR"
    return unicodedata.name(char, "UNNAMED")


def _character_findings(text: str, flagged: list[int], lines: _Lines) -> list[tuple[int, HiddenFinding]]:
    found: list[tuple[int, HiddenFinding]] = []
    by_line: dict[int, list[int]] = {}
    for at in flagged:
        by_line.setdefault(lines.number(at), []).append(at)
    for rank, (number, positions) in enumerate(by_line.items()):
        # Tag characters spell ASCII: an instruction can be written in them and read by a model.
        runs: list[list[int]] = []
        for at in positions:
            if not _is_tag(text[at]):
                continue
            if runs and runs[-1][-1] == at - 1:
                runs[-1].append(at)
            else:
                runs.append([at])
        for run in runs:
            decoded = "".join(
                chr(ord(text[at]) - 0xE0000) for at in run if 0x20 <= ord(text[at]) - 0xE0000 < 0x7F
            )
            if decoded.strip():
                found.append((run[0], finding("tag_characters", f"Tag characters at line {number}", decoded)))
        if rank > _MAX_CHARACTER_FINDINGS:
            continue
        if rank == _MAX_CHARACTER_FINDINGS:
            rest = len(by_line) - rank
            detail = f"Invisible characters on {rest} more lines, from line {number}"
            found.append((positions[0], finding("invisible_characters", detail, "")))
            continue
        start, end = lines.span(number)
        window_start = max(start, positions[0] - _LINE_WINDOW)
        window_end = min(end, positions[-1] + _LINE_WINDOW)
        marked = set(positions)
        excerpt = "".join(
            _spell(text[index]) if index in marked else text[index]
            for index in range(window_start, window_end)
        )
        excerpt = ("…" if window_start > start else "") + excerpt + ("…" if window_end < end else "")
        names = sorted({_character_name(text[at]) for at in positions})
        count = len(positions)
        what = "1 invisible character" if count == 1 else f"{count} invisible characters"
        detail = f"{what} ({', '.join(names)}) at line {number}"
        found.append((positions[0], finding("invisible_characters", detail, excerpt)))
    return found


# --- Markdown structure -----------------------------------------------------------------------------------


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.length = len(text)

    def number(self, at: int) -> int:
        return bisect.bisect_right(self.starts, at)

    def span(self, number: int) -> tuple[int, int]:
        start = self.starts[number - 1]
        end = self.starts[number] - 1 if number < len(self.starts) else self.length
        return start, end


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_INLINE = re.compile(r"`+|<!--")


def _code_and_comments(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of code (fenced blocks, code spans on one line) and of HTML comments outside code.

    An HTML comment runs to `-->` or, unterminated, to the end of the text (as a Markdown HTML block does)."""
    code: list[tuple[int, int]] = []
    comments: list[tuple[int, int]] = []
    length = len(text)
    pos = 0
    line_start = True
    fence: str | None = None
    fence_start = 0
    while pos < length:
        line_end = text.find("\n", pos)
        if line_end < 0:
            line_end = length
        if fence is not None:
            closing = re.fullmatch(
                rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", text[pos:line_end]
            )
            if closing:
                code.append((fence_start, line_end))
                fence = None
            pos = line_end + 1
            continue
        if line_start:
            opening = _FENCE.match(text, pos, line_end)
            if opening and (opening.group(1)[0] == "~" or "`" not in text[opening.end() : line_end]):
                fence, fence_start = opening.group(1), pos
                pos = line_end + 1
                continue
        # Backtick runs and comment openings on the rest of the line, in order; a run of backticks opens a
        # code span closed by the next run of the same length (looked up, so hostile lines stay linear).
        tokens = list(_INLINE.finditer(text, pos, line_end))
        runs: dict[int, list[int]] = {}
        for token in tokens:
            if token.group()[0] == "`":
                runs.setdefault(len(token.group()), []).append(token.start())
        at = pos
        jumped = False
        for token in tokens:
            if token.start() < at:
                continue
            if token.group()[0] == "`":
                size = len(token.group())
                same = runs[size]
                following = bisect.bisect_right(same, token.start())
                if following < len(same):
                    code.append((token.start(), same[following] + size))
                    at = same[following] + size
                else:
                    at = token.end()
                continue
            open_comment = token.start()
            if text.startswith(">", open_comment + 4):
                end = open_comment + 5
            elif text.startswith("->", open_comment + 4):
                end = open_comment + 6
            else:
                close = text.find("-->", open_comment + 4)
                end = length if close < 0 else close + 3
            comments.append((open_comment, end))
            if end > line_end:
                pos, line_start, jumped = end, False, True
                break
            at = end
        if not jumped:
            pos, line_start = line_end + 1, True
    if fence is not None:
        code.append((fence_start, length))
    return code, comments


class _Mask:
    """Sorted, non-overlapping spans, asked whether a position falls inside one."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [start for start, _ in self.spans]

    def covers(self, at: int) -> bool:
        index = bisect.bisect_right(self.starts, at) - 1
        return index >= 0 and at < self.spans[index][1]


_DEFINITION = re.compile(
    r"^[ \t]*(?:>[ \t]?)*[ \t]{0,3}\[(?P<label>(?:[^\[\]\\\n]|\\.){1,999})\]:"
    r"[ \t]*\n?[ \t]*(?P<dest><[^<>\n]*>|[^\s<>]\S*)"
    r"(?:(?:[ \t]+|[ \t]*\n[ \t]*)"
    r"(?P<title>\"(?:[^\"\\]|\\.){0,5000}\"|'(?:[^'\\]|\\.){0,5000}'|\((?:[^()\\]|\\.){0,5000}\)))?"
    r"[ \t]*$",
    re.MULTILINE,
)
_BRACKETED = re.compile(r"\[((?:[^\[\]\\\n]|\\.){1,999})\]")
_BLOCK_START = re.compile(r"[ \t]*(?:>[ \t]*)*$| {0,3}#{1,6}(?:[ \t]|$)| {0,3}(?:[-*_][ \t]*){3,}$")
_COMMENT_IDIOMS = frozenset({"#", "<>", "//", "<#>"})


def _label(raw: str) -> str:
    return " ".join(raw.split()).casefold()


def _definitions(
    text: str, mask: _Mask, lines: _Lines
) -> tuple[list[tuple[int, int]], list[tuple[int, HiddenFinding]]]:
    """Link reference definitions that are comments: nothing links to them, or they use the `[//]: #` idiom.
    A definition cannot interrupt a paragraph, so one right under a line of text is text."""
    matches = [
        match
        for match in _DEFINITION.finditer(text)
        if _label(match.group("label")) and not mask.covers(match.start()) and "\n\n" not in match.group(0)
    ]
    if not matches:
        return [], []
    inside = _Mask([(match.start(), match.end()) for match in matches])
    used = {
        _label(found.group(1))
        for found in _BRACKETED.finditer(text)
        if not inside.covers(found.start()) and not mask.covers(found.start())
    }
    spans: list[tuple[int, int]] = []
    found: list[tuple[int, HiddenFinding]] = []
    previous_end = -2
    for match in matches:
        start = match.start()
        line_before = text[text.rfind("\n", 0, start - 1) + 1 : start - 1] if start else ""
        starts_block = (
            start == 0
            or previous_end == start - 1
            or mask.covers(start - 2)
            or _BLOCK_START.match(line_before) is not None
        )
        if not starts_block:
            continue
        previous_end = match.end()
        destination = match.group("dest")
        title = match.group("title")
        idiom = destination in _COMMENT_IDIOMS or _label(match.group("label")) in ("//", "comment", "_")
        if not idiom and _label(match.group("label")) in used:
            continue
        spans.append((start, match.end()))
        hidden = title[1:-1] if title else destination.strip("<>")
        if not hidden.strip():
            continue
        line = lines.number(start)
        detail = (
            f"Markdown comment at line {line}"
            if idiom
            else f"A link definition nothing links to, at line {line}"
        )
        found.append((start, finding("markdown_comment", detail, hidden)))
    return spans, found


_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]{0,40})"
    r"((?:\s{1,50}[^\s\"'<>/=]{1,100}(?:\s*=\s*(?:\"[^\"]{0,2000}\"|'[^']{0,2000}'|[^\s\"'=<>`]{1,2000}))?){0,50})"
    r"\s{0,50}(/?)>"
)
_ATTRIBUTE = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_COLORED = re.compile(r"color", re.IGNORECASE)
_NEVER_SHOWN = frozenset({"script", "style", "template", "noscript"})
_MAX_OPEN = 200


def _attributes(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(raw):
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found.setdefault(match.group(1).lower(), value)
    return found


def element_declarations(name: str, attributes: dict[str, str]) -> dict[str, str]:
    """The inline style of an element, with the presentational attributes old HTML uses for colours."""
    decl = declarations(attributes.get("style", ""))
    if name == "font" and "color" in attributes and "color" not in decl:
        decl["color"] = attributes["color"].strip().lower()
    if "bgcolor" in attributes and "background-color" not in decl and "background" not in decl:
        decl["background-color"] = attributes["bgcolor"].strip().lower()
    return decl


def _hidden_elements(
    text: str, mask: _Mask, lines: _Lines
) -> tuple[list[tuple[int, int]], list[tuple[int, HiddenFinding]]]:
    """Inline HTML elements that show nothing: the `hidden` attribute, a style that hides them, or an element
    browsers never display. An element left open runs to the end of its paragraph."""
    tags = [match for match in _TAG.finditer(text) if not mask.covers(match.start())]
    starts = [tag.start() for tag in tags]
    spans: list[tuple[int, int]] = []
    found: list[tuple[int, HiddenFinding]] = []
    stack: list[tuple[str, Paint]] = []
    index = 0
    while index < len(tags):
        tag = tags[index]
        index += 1
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if closing:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == name:
                    del stack[depth:]
                    break
            continue
        if name in _VOID or tag.group(4):
            continue
        attributes = _attributes(tag.group(3))
        decl = element_declarations(name, attributes)
        paint = stack[-1][1] if stack else Paint()
        own = child_paint(decl, paint)
        if "hidden" in attributes:
            reason: str | None = "the hidden attribute"
        elif name in _NEVER_SHOWN:
            reason = f"being a <{name}> element"
        else:
            reason = hidden_reason(decl) or (color_reason(own) if sets_paint(decl) else None)
        if reason is None:
            if len(stack) < _MAX_OPEN:
                stack.append((name, own))
            continue
        resume = index
        depth, end, inner_end = 1, -1, -1
        while index < len(tags):
            following = tags[index]
            index += 1
            if following.group(2).lower() != name or following.group(4):
                continue
            depth += -1 if following.group(1) == "/" else 1
            if depth == 0:
                end, inner_end = following.end(), following.start()
                break
        if end < 0:
            paragraph_end = text.find("\n\n", tag.end())
            end = inner_end = len(text) if paragraph_end < 0 else paragraph_end
            index = bisect.bisect_left(starts, end)
        if (
            "color" not in decl
            and color_reason(own) == reason
            and _COLORED.search(text, tag.end(), inner_end)
        ):
            # Only a background was set, and something inside sets a colour of its own: judged there.
            index = resume
            if len(stack) < _MAX_OPEN:
                stack.append((name, own))
            continue
        spans.append((tag.start(), end))
        hidden = " ".join(_TAG.sub(" ", text[tag.end() : inner_end]).split())
        if hidden:
            detail = f"<{name}> hidden ({reason}) at line {lines.number(tag.start())}"
            found.append((tag.start(), finding("hidden_html", detail, hidden)))
    return spans, found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def visible_text(text: str) -> HiddenScan:
    """Split Markdown (or plain) text into what a reader sees and what is hidden from them.

    The returned text has newlines normalised and drops HTML comments, Markdown comments, hidden inline HTML
    elements and hiding invisible characters; everything else (code included) is kept as written."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = _Lines(text)
    code, comments = _code_and_comments(text)
    findings: list[tuple[int, HiddenFinding]] = []
    for start, end in comments:
        closed = end - start in (5, 6) or (end - start >= 7 and text.endswith("-->", start, end))
        body = text[start + 4 : end - 3] if closed else text[start + 4 : end]
        if body.strip():
            detail = f"HTML comment at line {lines.number(start)}" + ("" if closed else ", never closed")
            findings.append((start, finding("html_comment", detail, body)))
    mask = _Mask(_merge(code + comments))
    definition_spans, found = _definitions(text, mask, lines)
    findings += found
    mask = _Mask(_merge(code + comments + definition_spans))
    element_spans, found = _hidden_elements(text, mask, lines)
    findings += found
    removed = _merge(comments + definition_spans + element_spans)
    removed_mask = _Mask(removed)
    flagged = [at for at in _flagged(text) if not removed_mask.covers(at)]
    findings += _character_findings(text, flagged, lines)
    if not removed and not flagged:
        return HiddenScan(text=text, findings=tuple(f for _, f in sorted(findings, key=lambda item: item[0])))
    drops = _merge(removed + [(at, at + 1) for at in flagged])
    pieces: list[str] = []
    at = 0
    for start, end in drops:
        pieces.append(text[at:start])
        at = end
    pieces.append(text[at:])
    ordered = tuple(f for _, f in sorted(findings, key=lambda item: item[0]))
    return HiddenScan(text="".join(pieces), findings=ordered)
