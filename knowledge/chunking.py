"""Split policy documents (Markdown-like text) into heading-aware, size-bounded chunks for embedding.

Design
------
* The source is normalised (``\\r\\n`` / ``\\r`` -> ``\\n``); every offset refers to the normalised text.
* ATX heading lines (``#`` .. ``######``) start a new section and are never part of chunk text; they live in
  ``heading_path``. Lines inside fenced code blocks are never headings.
* A section is parsed into blocks: paragraphs (separated by blank lines), list items, table rows and fenced
  code blocks. A block over ``max_tokens`` is split into sentences (lines for code), then words, then
  characters, so that every resulting *atom* fits ``max_tokens``.
* Atoms are packed greedily, from the start of each section, into chunk bodies of at most ``target_tokens``
  (an atom bigger than ``target_tokens`` gets a body of its own, still within ``max_tokens``). A run of list
  items or table rows (with a preceding paragraph ending in ``:``) is moved whole to a fresh chunk when it
  does not fit the current one but would fit a chunk of its own.
* A chunk's body is the source slice ``[start, end)``. Every chunk after the first in a section is prefixed
  with a tail of the previous chunk's body (whole words, from a sentence or line start when that keeps at
  least half the overlap budget), so ``text`` is always the contiguous source slice that ends at ``end``.
  The overlap is shrunk as needed so ``count_tokens(text) <= max_tokens`` always holds.

Edit stability and its limits
-----------------------------
Packing restarts at every section, and a chunk depends only on its own body and the body before it. So an
edit that keeps token counts unchanged (e.g. replacing one word with another of the same token count)
changes at most two chunks: the one containing the edit and, through the overlap, the next one. An edit
that changes a block's token count can move later chunk boundaries, but only within the same section: every
chunk of every other section keeps its text and hash. Sections with many chunks are therefore the case where
an edit may re-embed more than two chunks.

Other limitations: only ATX headings are recognised (no Setext underlines); the sentence splitter is a
punctuation heuristic (abbreviations such as ``e.g.`` count as sentence ends); table header rows are not
repeated in later chunks of a long table; the bound holds for any counter that gives at most
``target_tokens`` for a single character.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "ChunkingConfig",
    "TextChunk",
    "TokenCounter",
    "approx_token_count",
    "chunk_document",
    "embedding_text",
    "normalise",
]

TokenCounter = Callable[[str], int]

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_LONG_WORD_CHARS = 8

_HEADING_RE = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*")
_HEADING_CLOSE_RE = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ITEM_RE = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_ROW_RE = re.compile(r"[ \t]*\|")

_SENTENCE_END_RE = re.compile(r"([.!?…]+[\"'”’)\]]*)\s+")
_LINE_RE = re.compile(r"\S(?:[^\n]*\S)?")
_WORD_RE = re.compile(r"\S+")
_CLEAN_BEFORE_RE = re.compile(r"[.!?…:][\"'”’)\]]*\Z")


def approx_token_count(text: str) -> int:
    """Cheap deterministic estimate of word-piece tokens.

    Counts regex tokens ``\\w+|[^\\w\\s]`` plus one extra for each word longer than 8 characters (long words
    are split into several pieces by real tokenizers). Used when no real tokenizer is given.
    """
    tokens = _TOKEN_RE.findall(text)
    return len(tokens) + sum(1 for token in tokens if len(token) > _LONG_WORD_CHARS)


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk size settings, in tokens of the counter passed to :func:`chunk_document`.

    ``target_tokens`` is the size chunk bodies are packed up to, ``max_tokens`` the hard bound on a chunk's
    whole text (overlap included) and ``overlap_tokens`` the size of the previous chunk's tail repeated at the
    start of the next chunk of the same section. Requires ``0 <= overlap < target <= max`` and ``max >= 16``.
    """

    target_tokens: int = 200
    max_tokens: int = 256
    overlap_tokens: int = 32

    def __post_init__(self) -> None:
        if self.max_tokens < 16:
            raise ValueError(f"max_tokens must be at least 16, got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.target_tokens <= self.max_tokens:
            raise ValueError(
                "expected 0 <= overlap_tokens < target_tokens <= max_tokens, got "
                f"overlap={self.overlap_tokens}, target={self.target_tokens}, max={self.max_tokens}"
            )


@dataclass(frozen=True)
class TextChunk:
    """One chunk of a document.

    ``text`` is the chunk body (overlap included, heading excluded); ``[start, end)`` is the span of the
    chunk's new, non-overlap content in the normalised source, and ``text`` is the source slice ending at
    ``end``. ``content_hash`` is the sha256 hex digest of :func:`embedding_text` for this chunk.
    """

    ordinal: int
    heading_path: tuple[str, ...]
    text: str
    token_count: int
    content_hash: str
    start: int
    end: int


def normalise(text: str) -> str:
    """Return ``text`` with ``\\r\\n`` and lone ``\\r`` newlines converted to ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def embedding_text(title: str, heading_path: Sequence[str], text: str) -> str:
    """Return the text that is embedded for a chunk: ``'title > h1 > h2\\n\\ntext'``.

    Title and headings are joined by ``' > '``; empty parts are left out, and with no title and no headings
    the result is just ``text``.
    """
    context = " > ".join(part for part in (title.strip(), *(h.strip() for h in heading_path)) if part)
    return f"{context}\n\n{text}" if context else text


def chunk_document(
    title: str,
    text: str,
    config: ChunkingConfig = ChunkingConfig(),
    count_tokens: TokenCounter = approx_token_count,
) -> list[TextChunk]:
    """Split ``text`` into heading-aware chunks, in document order (see the module docstring).

    Returns ``[]`` for empty or whitespace-only text and for documents that contain only headings.
    """
    source = normalise(text)
    chunks: list[TextChunk] = []
    for path, blocks in _parse_sections(source):
        atoms = _atomise(source, blocks, config, count_tokens)
        previous: tuple[int, int] | None = None
        for start, end in _pack(source, atoms, config.target_tokens, count_tokens):
            text_start = start
            if previous is not None:
                text_start = _overlap_start(source, previous, (start, end), config, count_tokens)
            body = source[text_start:end]
            digest = hashlib.sha256(embedding_text(title, path, body).encode("utf-8")).hexdigest()
            chunks.append(
                TextChunk(
                    ordinal=len(chunks),
                    heading_path=path,
                    text=body,
                    token_count=count_tokens(body),
                    content_hash=digest,
                    start=start,
                    end=end,
                )
            )
            previous = (start, end)
    return chunks


@dataclass
class _Block:
    kind: str  # "para", "item", "row" or "code"
    start: int
    end: int
    indented: bool


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    # Set on the first atom of a run of blocks that should stay together: (group start, group end, index of
    # the group's last atom).
    group: tuple[int, int, int] | None = None


def _parse_sections(source: str) -> list[tuple[tuple[str, ...], list[_Block]]]:
    """Split the source into (heading path, blocks) sections, dropping sections without text."""
    sections: list[tuple[tuple[str, ...], list[_Block]]] = [((), [])]
    headings: list[tuple[int, str]] = []
    open_block: _Block | None = None  # the block that a following non-blank line continues
    fence: str | None = None
    position = 0
    for line in source.split("\n"):
        line_start = position
        position += len(line) + 1
        stripped = line.strip()
        content_start = line_start + len(line) - len(line.lstrip())
        content_end = line_start + len(line.rstrip())
        blocks = sections[-1][1]
        if fence is not None:
            if stripped:
                blocks[-1].end = content_end
            if _closes_fence(line, fence):
                fence = None
            continue
        if fence_match := _FENCE_RE.match(line):
            fence = fence_match.group(1)
            blocks.append(_Block("code", content_start, content_end, indented=False))
            open_block = None
        elif heading_match := _HEADING_RE.fullmatch(line):
            level = len(heading_match.group(1))
            heading = " ".join(_HEADING_CLOSE_RE.sub("", heading_match.group(2) or "").split())
            while headings and headings[-1][0] >= level:
                headings.pop()
            if heading:
                headings.append((level, heading))
            sections.append((tuple(name for _, name in headings), []))
            open_block = None
        elif not stripped:
            open_block = None
        elif _ITEM_RE.match(line):
            open_block = _Block("item", content_start, content_end, indented=line[0] in " \t")
            blocks.append(open_block)
        elif _ROW_RE.match(line):
            blocks.append(_Block("row", content_start, content_end, indented=False))
            open_block = None
        elif open_block is not None:
            open_block.end = content_end
        else:
            open_block = _Block("para", content_start, content_end, indented=line[0] in " \t")
            blocks.append(open_block)
    return [section for section in sections if section[1]]


def _closes_fence(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(stripped) >= len(fence)
        and stripped == fence[0] * len(stripped)
    )


def _groups(source: str, blocks: list[_Block]) -> list[tuple[int, int]]:
    """Return [first, last] block index ranges of list/table runs to keep together when they fit."""
    groups: list[tuple[int, int]] = []
    taken_until = -1
    i = 0
    while i < len(blocks):
        kind = blocks[i].kind
        if kind not in ("item", "row"):
            i += 1
            continue
        j = i + 1
        while j < len(blocks) and (
            blocks[j].kind == kind or (kind == "item" and blocks[j].kind == "para" and blocks[j].indented)
        ):
            j += 1
        first = i
        intro = blocks[i - 1] if i > 0 else None
        if (
            intro is not None
            and i - 1 > taken_until
            and intro.kind == "para"
            and source[intro.end - 1] == ":"
        ):
            first = i - 1
        if j - first > 1:
            groups.append((first, j - 1))
            taken_until = j - 1
        i = j
    return groups


def _atomise(source: str, blocks: list[_Block], config: ChunkingConfig, count: TokenCounter) -> list[_Atom]:
    """Turn a section's blocks into atoms of at most ``max_tokens``, marking the heads of block groups."""
    spans_per_block: list[list[tuple[int, int]]] = []
    for block in blocks:
        levels = (_line_spans, _word_spans) if block.kind == "code" else (_sentence_spans, _word_spans)
        spans: list[tuple[int, int]] = []
        _split(source, block.start, block.end, levels, config, count, spans)
        spans_per_block.append(spans)

    first_atom: list[int] = []
    total = 0
    for spans in spans_per_block:
        first_atom.append(total)
        total += len(spans)
    heads = {
        first_atom[first]: (
            blocks[first].start,
            blocks[last].end,
            first_atom[last] + len(spans_per_block[last]) - 1,
        )
        for first, last in _groups(source, blocks)
    }
    atoms: list[_Atom] = []
    for spans in spans_per_block:
        for start, end in spans:
            atoms.append(_Atom(start, end, heads.get(len(atoms))))
    return atoms


_Splitter = Callable[[str, int, int], list[tuple[int, int]]]


def _split(
    source: str,
    start: int,
    end: int,
    levels: Sequence[_Splitter],
    config: ChunkingConfig,
    count: TokenCounter,
    out: list[tuple[int, int]],
) -> None:
    """Append to ``out`` the coarsest split of ``[start, end)`` into spans of at most ``max_tokens``."""
    if count(source[start:end]) <= config.max_tokens:
        out.append((start, end))
        return
    if levels:
        parts = levels[0](source, start, end)
        if len(parts) == 1:
            _split(source, start, end, levels[1:], config, count, out)
        else:
            for part_start, part_end in parts:
                _split(source, part_start, part_end, levels[1:], config, count, out)
        return
    # A single word over the bound (e.g. a long run of punctuation): cut it into target-sized pieces.
    position = start
    while position < end:
        here = position

        def piece_fits(size: int, at: int = here) -> bool:
            return count(source[at : at + size]) <= config.target_tokens

        position += max(_longest_fit(end - here, piece_fits), 1)
        out.append((here, position))


def _sentence_spans(source: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    current = start
    for match in _SENTENCE_END_RE.finditer(source, start, end):
        spans.append((current, match.end(1)))
        current = match.end()
    spans.append((current, end))
    return spans


def _line_spans(source: str, start: int, end: int) -> list[tuple[int, int]]:
    return [match.span() for match in _LINE_RE.finditer(source, start, end)]


def _word_spans(source: str, start: int, end: int) -> list[tuple[int, int]]:
    return [match.span() for match in _WORD_RE.finditer(source, start, end)]


def _longest_fit(limit: int, fits: Callable[[int], bool]) -> int:
    """Largest ``k`` in ``0..limit`` with ``fits(k)``, assuming ``fits`` is monotone (true, then false).

    Gallops then bisects, so long inputs cost O(log k) checks of slices near the answer's size. Only values
    for which ``fits`` returned true are ever returned, so a non-monotone counter gets a shorter but still
    valid answer.
    """
    low, step = 0, 1
    while low + step <= limit and fits(low + step):
        low += step
        step *= 2
    high = min(limit, low + step - 1)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _pack(source: str, atoms: list[_Atom], target: int, count: TokenCounter) -> list[tuple[int, int]]:
    """Greedily pack a section's atoms into ``(start, end)`` chunk bodies of at most ``target`` tokens."""

    def fits(start: int, end: int) -> bool:
        return count(source[start:end]) <= target

    next_head = [len(atoms)] * len(atoms)
    upcoming = len(atoms)
    for index in range(len(atoms) - 1, -1, -1):
        next_head[index] = upcoming
        if atoms[index].group is not None:
            upcoming = index

    bodies: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    i = 0
    while i < len(atoms):
        atom = atoms[i]
        if current is not None and atom.group is not None:
            group_start, group_end, group_last = atom.group
            if fits(current[0], group_end):
                current = (current[0], group_end)
                i = group_last + 1
                continue
            if fits(group_start, group_end):
                bodies.append(current)
                current = (group_start, group_end)
                i = group_last + 1
                continue
        if current is None:
            current = (atom.start, atom.end)
            i += 1
            continue
        chunk_start = current[0]
        stop = next_head[i]

        def extension_fits(taken: int, first: int = i, chunk_start: int = chunk_start) -> bool:
            return fits(chunk_start, atoms[first + taken - 1].end)

        taken = _longest_fit(stop - i, extension_fits)
        if taken:
            current = (chunk_start, atoms[i + taken - 1].end)
            i += taken
        if i < stop:
            bodies.append(current)
            current = None
    if current is not None:
        bodies.append(current)
    return bodies


def _overlap_start(
    source: str,
    previous: tuple[int, int],
    body: tuple[int, int],
    config: ChunkingConfig,
    count: TokenCounter,
) -> int:
    """Where a chunk's text starts: inside the previous body when an overlap fits, else at its own start."""
    start, end = body
    if config.overlap_tokens == 0:
        return start
    previous_end = previous[1]
    word_starts = [match.start() for match in _WORD_RE.finditer(source, previous[0], previous_end)]

    def fits(words: int) -> bool:
        begin = word_starts[-words]
        return (
            count(source[begin:previous_end]) <= config.overlap_tokens
            and count(source[begin:end]) <= config.max_tokens
        )

    words = _longest_fit(len(word_starts), fits)
    if words == 0:
        return start
    candidates = word_starts[-words:]
    for candidate in candidates:
        if _is_clean_start(source, candidate):
            # Starting at a sentence or line start reads better, unless it throws away most of the overlap.
            if (
                candidate == candidates[0]
                or 2 * count(source[candidate:previous_end]) >= config.overlap_tokens
            ):
                return candidate
            break
    return candidates[0]


def _is_clean_start(source: str, position: int) -> bool:
    """Whether a word starting at ``position`` starts a line or follows sentence-ending punctuation."""
    before = position
    while before > 0 and source[before - 1].isspace():
        before -= 1
        if source[before] == "\n":
            return True
    return before == 0 or _CLEAN_BEFORE_RE.search(source, max(0, before - 8), before) is not None
