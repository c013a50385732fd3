"""Tests for knowledge.chunking: exact examples plus hypothesis properties over random Markdown-ish documents.

Pure Python: no database and no Django needed.
"""

from __future__ import annotations

import hashlib
import random
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.chunking import (
    ChunkingConfig,
    TextChunk,
    TokenCounter,
    approx_token_count,
    chunk_document,
    embedding_text,
    normalise,
)

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def whitespace_count(text: str) -> int:
    return len(text.split())


def char_count(text: str) -> int:
    return (len(text) + 3) // 4


CONFIGS: list[tuple[ChunkingConfig, TokenCounter]] = [
    (ChunkingConfig(), approx_token_count),
    (ChunkingConfig(target_tokens=20, max_tokens=32, overlap_tokens=5), approx_token_count),
    (ChunkingConfig(target_tokens=16, max_tokens=16, overlap_tokens=0), approx_token_count),
    (ChunkingConfig(target_tokens=16, max_tokens=16, overlap_tokens=15), approx_token_count),
    (ChunkingConfig(target_tokens=40, max_tokens=64, overlap_tokens=12), whitespace_count),
    (ChunkingConfig(target_tokens=30, max_tokens=48, overlap_tokens=8), char_count),
]

# --- an independent oracle for the parts of the format the properties rely on -------------------------

HEADING_LINE = re.compile(r" {0,3}(#{1,6})(?:[ \t]|$)")


def heading_lines(source: str) -> list[tuple[int, int, int, str]]:
    """(line start, line end, level, title) of every ATX heading line (the generators emit no code fences)."""
    found = []
    offset = 0
    for line in source.split("\n"):
        match = HEADING_LINE.match(line)
        if match:
            title = line.strip()[len(match.group(1)) :].strip()
            title = "" if set(title) <= {"#"} else re.sub(r"[ \t]+#+$", "", title)
            found.append((offset, offset + len(line), len(match.group(1)), " ".join(title.split())))
        offset += len(line) + 1
    return found


def expected_path(headings: list[tuple[int, int, int, str]], position: int) -> tuple[str, ...]:
    stack: list[tuple[int, str]] = []
    for start, _end, level, title in headings:
        if start > position:
            break
        stack = [entry for entry in stack if entry[0] < level]
        if title:
            stack.append((level, title))
    return tuple(title for _, title in stack)


def section_index(headings: list[tuple[int, int, int, str]], position: int) -> int:
    return sum(1 for start, *_ in headings if start <= position)


def check_invariants(
    title: str, raw: str, config: ChunkingConfig, count: TokenCounter, chunks: list[TextChunk]
) -> None:
    source = normalise(raw)
    headings = heading_lines(source)
    in_heading = [False] * len(source)
    for start, end, *_ in headings:
        in_heading[start:end] = [True] * (end - start)
    covered = [False] * len(source)

    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    previous: TextChunk | None = None
    for chunk in chunks:
        # Spans are increasing and non-overlapping, and the text is the source slice that ends at `end`.
        assert chunk.start < chunk.end
        assert previous is None or previous.end <= chunk.start
        text_start = chunk.end - len(chunk.text)
        assert source[text_start : chunk.end] == chunk.text
        assert text_start <= chunk.start
        assert not any(in_heading[text_start : chunk.end]), "a chunk spans a heading line"
        if text_start < chunk.start:
            # Overlap only repeats the previous chunk of the same section, and stays within its budget.
            assert previous is not None
            assert section_index(headings, previous.start) == section_index(headings, chunk.start)
            assert previous.start <= text_start < previous.end
            assert count(source[text_start : previous.end]) <= config.overlap_tokens
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)

        assert count(chunk.text) <= config.max_tokens
        assert chunk.token_count == count(chunk.text)
        assert chunk.heading_path == expected_path(headings, chunk.start)
        expected_hash = hashlib.sha256(
            embedding_text(title, chunk.heading_path, chunk.text).encode()
        ).hexdigest()
        assert chunk.content_hash == expected_hash
        previous = chunk

    # No text lost: every non-whitespace character outside heading lines is some chunk's new content.
    lost = [i for i, char in enumerate(source) if not char.isspace() and not in_heading[i] and not covered[i]]
    assert not lost, f"uncovered text at {lost[:5]}: {source[lost[0] : lost[0] + 40]!r}"


# --- document generators ---------------------------------------------------------------------------------

VOCAB = [
    "refund",
    "customer",
    "annual",
    "plan",
    "the",
    "a",
    "within",
    "days",
    "invoice",
    "subscription",
    "cancellation",
    "is",
    "e.g.",
    "14",
    "€20",
    "don't",
    "(see",
    "below)",
    "#hashtag",
    "#",
    "-",
    "|",
    "1.",
    "straße",
    "internationalisation",
]
ALPHABET = string.ascii_letters + string.digits + ".,;:!?'\"()-/%&*+|é€"

words = st.one_of(
    st.sampled_from(VOCAB),
    st.sampled_from(VOCAB),
    st.text(alphabet=ALPHABET, min_size=1, max_size=12),
)
very_long_words = st.one_of(
    st.text(alphabet=string.ascii_letters, min_size=30, max_size=300),
    st.text(alphabet="-.,;!/", min_size=40, max_size=400),
)


@st.composite
def sentences(draw: st.DrawFn, max_words: int = 20) -> str:
    vocabulary = st.one_of(words, very_long_words) if draw(st.integers(0, 9)) == 0 else words
    parts = draw(st.lists(vocabulary, min_size=1, max_size=max_words))
    return " ".join(parts) + draw(st.sampled_from([".", ".", "!", "?", "", ":"]))


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 12)) == 0:
        # Very long paragraph: many sentences, or one long sentence with no punctuation at all.
        if draw(st.booleans()):
            return " ".join(draw(st.lists(sentences(), min_size=20, max_size=50)))
        return " ".join(draw(st.lists(st.sampled_from(VOCAB[:12]), min_size=150, max_size=400)))
    joiner = draw(st.sampled_from([" ", " ", "\n"]))
    return joiner.join(draw(st.lists(sentences(), min_size=1, max_size=6)))


@st.composite
def lists(draw: st.DrawFn) -> str:
    markers = draw(st.sampled_from([["- "], ["* "], ["1. ", "2. ", "3. "], ["12) "]]))
    items = draw(st.lists(sentences(max_words=12), min_size=1, max_size=8))
    separator = draw(st.sampled_from(["\n", "\n", "\n\n"]))
    lines = [markers[i % len(markers)] + item for i, item in enumerate(items)]
    if draw(st.booleans()):
        lines[-1] += "\n  continued " + draw(sentences(max_words=5))
    return separator.join(lines)


@st.composite
def tables(draw: st.DrawFn) -> str:
    rows = draw(st.lists(st.lists(words, min_size=1, max_size=4), min_size=1, max_size=6))
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


@st.composite
def headings(draw: st.DrawFn) -> str:
    level = draw(st.integers(1, 6))
    title = " ".join(draw(st.lists(st.sampled_from(VOCAB[:12]), min_size=0, max_size=4)))
    closing = draw(st.sampled_from(["", "", " ##"]))
    return "#" * level + " " + title + closing


@st.composite
def documents(draw: st.DrawFn) -> str:
    blocks = draw(
        st.lists(
            st.one_of(paragraphs(), paragraphs(), headings(), headings(), lists(), tables()),
            min_size=0,
            max_size=14,
        )
    )
    pieces = []
    for block in blocks:
        pieces.append(block)
        pieces.append(draw(st.sampled_from(["\n\n", "\n\n", "\n\n\n", "\n \t\n", "\n"])))
    text = draw(st.sampled_from(["", "\n", "  \n"])) + "".join(pieces)
    return text.replace("\n", "\r\n") if draw(st.integers(0, 5)) == 0 else text


configs = st.sampled_from(CONFIGS)


# --- properties --------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(document=documents(), setup=configs)
def test_properties_hold_for_random_documents(
    document: str, setup: tuple[ChunkingConfig, TokenCounter]
) -> None:
    config, count = setup
    chunks = chunk_document("Refund policy", document, config, count)
    check_invariants("Refund policy", document, config, count, chunks)
    assert chunk_document("Refund policy", document, config, count) == chunks


def letter_words(source: str) -> list[tuple[int, int]]:
    """Spans of whitespace-delimited, letters-only words outside heading lines."""
    headings = heading_lines(source)
    return [
        match.span()
        for match in re.finditer(r"(?<!\S)[A-Za-z]+(?!\S)", source)
        if not any(start <= match.start() < end for start, end, *_ in headings)
    ]


def rotate(word: str) -> str:
    """A different word of the same length and character classes, so every counter gives the same count."""
    return "".join(
        chr((ord(c) - base + 1) % 26 + base) for c in word for base in [ord("a") if c.islower() else ord("A")]
    )


@PROPERTY_SETTINGS
@given(document=documents(), setup=configs, data=st.data())
def test_same_size_word_edit_changes_at_most_two_chunks(
    document: str, setup: tuple[ChunkingConfig, TokenCounter], data: st.DataObject
) -> None:
    config, count = setup
    source = normalise(document)
    candidates = letter_words(source)
    if not candidates:
        return
    start, end = data.draw(st.sampled_from(candidates))
    edited = source[:start] + rotate(source[start:end]) + source[end:]
    before = chunk_document("T", source, config, count)
    after = chunk_document("T", edited, config, count)
    assert [(c.start, c.end) for c in before] == [(c.start, c.end) for c in after]
    changed = [
        i
        for i, (old, new) in enumerate(zip(before, after, strict=True))
        if old.content_hash != new.content_hash
    ]
    assert 1 <= len(changed) <= 2
    assert changed[-1] - changed[0] == len(changed) - 1


@PROPERTY_SETTINGS
@given(document=documents(), setup=configs, data=st.data(), extra=st.lists(words, min_size=1, max_size=40))
def test_any_edit_only_changes_chunks_of_its_own_section(
    document: str, setup: tuple[ChunkingConfig, TokenCounter], data: st.DataObject, extra: list[str]
) -> None:
    config, count = setup
    source = normalise(document)
    headings = heading_lines(source)
    heading_starts = {start for start, *_ in headings}
    line_ends = [m.start() for m in re.finditer(r"\n|$", source)]
    line_starts = [0, *(end + 1 for end in line_ends[:-1])]
    editable = [
        (start, end)
        for start, end in zip(line_starts, line_ends, strict=True)
        if start not in heading_starts and source[start:end].strip()
    ]
    if not editable:
        return
    line_start, line_end = data.draw(st.sampled_from(editable))
    edited = source[:line_end] + " " + " ".join(extra) + source[line_end:]
    edited_section = section_index(headings, line_start)

    def outside(text: str) -> list[tuple[int, str]]:
        marks = heading_lines(text)
        return [
            (section_index(marks, c.start), c.content_hash)
            for c in chunk_document("T", text, config, count)
            if section_index(marks, c.start) != edited_section
        ]

    assert outside(source) == outside(edited)


# --- examples ---------------------------------------------------------------------------------------------

SMALL = ChunkingConfig(target_tokens=20, max_tokens=32, overlap_tokens=5)

EXAMPLE = """Intro line before headings.

# Refunds

Refunds are issued within 14 days of the request. They go back to the original payment method.

## Annual plans

Annual plans are refunded pro rata for the unused months. The first month is never refunded. \
Customers on a discounted annual plan get the discounted rate back. Contact billing for exceptions.

## Monthly plans
### Details
- Monthly plans are not refunded.
- Cancel any time.

| a | b |
| 1 | 2 |
"""


def test_example_document_exact_chunks() -> None:
    chunks = chunk_document("Policy", EXAMPLE, SMALL)
    annual = ("Refunds", "Annual plans")
    details = ("Refunds", "Monthly plans", "Details")
    assert [(c.heading_path, c.text) for c in chunks] == [
        ((), "Intro line before headings."),
        (
            ("Refunds",),
            "Refunds are issued within 14 days of the request. They go back to the original payment method.",
        ),
        # 11 + 7 tokens; the next sentence (15 tokens) would pass the target of 20.
        (
            annual,
            "Annual plans are refunded pro rata for the unused months. The first month is never refunded.",
        ),
        # Overlap: the last 5 tokens of the previous chunk, cut at a word boundary.
        (
            annual,
            "month is never refunded. Customers on a discounted annual plan get the discounted rate back.",
        ),
        (annual, "discounted rate back. Contact billing for exceptions."),
        # "Monthly plans" has no text of its own, so no chunk. The list stays together; the table (10 tokens)
        # does not fit after it but fits a chunk of its own, so it moves whole; the overlap is a whole line.
        (details, "- Monthly plans are not refunded.\n- Cancel any time."),
        (details, "- Cancel any time.\n\n| a | b |\n| 1 | 2 |"),
    ]
    source = normalise(EXAMPLE)
    assert [source[c.start : c.end] for c in chunks][2:5] == [
        "Annual plans are refunded pro rata for the unused months. The first month is never refunded.",
        "Customers on a discounted annual plan get the discounted rate back.",
        "Contact billing for exceptions.",
    ]
    assert chunks[6].start == source.index("| a |")
    assert [c.token_count for c in chunks] == [5, 19, 18, 20, 11, 12, 15]
    assert (
        chunks[3].content_hash
        == hashlib.sha256(b"Policy > Refunds > Annual plans\n\n" + chunks[3].text.encode()).hexdigest()
    )
    check_invariants("Policy", EXAMPLE, SMALL, approx_token_count, chunks)


def test_heading_paths_replace_from_their_level_and_tolerate_skipped_levels() -> None:
    text = "# A\n\na\n\n### C\n\nc\n\n## B ##\n\nb\n\n# D\n\nd\n\n#### E\n\ne\n\n#\n\nnone\n"
    paths = [(c.heading_path, c.text) for c in chunk_document("T", text)]
    assert paths == [
        (("A",), "a"),
        (("A", "C"), "c"),
        (("A", "B"), "b"),
        (("D",), "d"),
        (("D", "E"), "e"),
        ((), "none"),
    ]


def test_overlap_prefers_a_whole_short_sentence() -> None:
    config = ChunkingConfig(target_tokens=20, max_tokens=40, overlap_tokens=8)
    long_sentence = "one two three four five six seven eight nine ten eleven twelve thirteen."
    following = "Next paragraph has enough words to need its own chunk now."
    text = f"{long_sentence} Short final words here.\n\n{following}"
    chunks = chunk_document("T", text, config)
    assert len(chunks) == 2
    # A word-boundary cut would take 8 tokens starting mid-sentence; the last sentence alone is 5 (>= 8 / 2).
    assert chunks[1].text.startswith("Short final words here.\n\nNext paragraph")


def test_overlap_comes_only_from_the_previous_chunks_new_content() -> None:
    config = ChunkingConfig(target_tokens=20, max_tokens=40, overlap_tokens=15)
    first = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
    table = "| a | b |\n| c | d |"  # 10 tokens: fits a chunk of its own, not after `first`
    last = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi"
    chunks = chunk_document("T", f"{first}\n\n{table}\n\n{last}", config)
    assert [c.text for c in chunks] == [
        first,
        "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen\n\n"
        + table,
        # The previous chunk's new content is only 10 tokens; its own overlap is not repeated again.
        f"{table}\n\n{last}",
    ]


def test_empty_and_heading_only_documents_give_no_chunks() -> None:
    assert chunk_document("T", "") == []
    assert chunk_document("T", " \n\r\n\t \n") == []
    assert chunk_document("T", "# A\n## B\n\n### C\n") == []


def test_crlf_is_normalised_and_offsets_refer_to_the_normalised_text() -> None:
    raw = "# Title\r\n\r\nFirst line\r\nsecond line.\r\rLast."
    source = normalise(raw)
    assert source == "# Title\n\nFirst line\nsecond line.\n\nLast."
    [chunk] = chunk_document("T", raw)
    assert chunk.text == "First line\nsecond line.\n\nLast."
    assert source[chunk.start : chunk.end] == chunk.text


def test_fenced_code_lines_are_not_headings() -> None:
    text = "# Setup\n\n```sh\n# not a heading\n\necho hi\n```\n\nAfter."
    [chunk] = chunk_document("T", text)
    assert chunk.heading_path == ("Setup",)
    assert chunk.text == "```sh\n# not a heading\n\necho hi\n```\n\nAfter."


def test_oversized_blocks_and_words_are_split_within_the_bound() -> None:
    config = ChunkingConfig(target_tokens=20, max_tokens=32, overlap_tokens=5)
    text = " ".join(["word"] * 500) + "\n\n" + "-." * 300 + "\n\n" + "Short. " * 60
    chunks = chunk_document("T", text, config)
    assert all(c.token_count <= 32 for c in chunks)
    assert max(c.end - c.start for c in chunks) < 600
    check_invariants("T", text, config, approx_token_count, chunks)


def test_lists_move_whole_to_a_new_chunk_with_their_intro() -> None:
    config = ChunkingConfig(target_tokens=30, max_tokens=40, overlap_tokens=0)
    opening = "This opening paragraph is long enough to fill most of a chunk on its own, really."
    text = f"{opening}\n\nFees apply to:\n\n- late payments\n- card disputes\n- paper invoices"
    chunks = chunk_document("T", text, config)
    assert [c.text for c in chunks] == [
        opening,
        "Fees apply to:\n\n- late payments\n- card disputes\n- paper invoices",
    ]


def test_config_validation() -> None:
    for bad in [
        {"max_tokens": 15, "target_tokens": 10, "overlap_tokens": 0},
        {"target_tokens": 300},
        {"overlap_tokens": 200},
        {"overlap_tokens": -1},
        {"target_tokens": 0, "overlap_tokens": 0},
    ]:
        with pytest.raises(ValueError, match="tokens"):
            ChunkingConfig(**bad)
    ChunkingConfig(target_tokens=16, max_tokens=16, overlap_tokens=15)


def test_approx_token_count() -> None:
    assert approx_token_count("") == 0
    assert approx_token_count("Refunds take 14 days.") == 5
    assert approx_token_count("subscription") == 2  # 12 characters: one extra piece
    assert approx_token_count("don't-stop") == 5


def test_embedding_text() -> None:
    assert (
        embedding_text("Policy", ["Refunds", "Annual plans"], "Body.")
        == "Policy > Refunds > Annual plans\n\nBody."
    )
    assert embedding_text("Policy", (), "Body.") == "Policy\n\nBody."


# --- product requirement: editing one paragraph of a 50-chunk document re-embeds at most 2 chunks -------


def long_policy(rng: random.Random) -> str:
    vocabulary = [
        *("refund", "customer", "annual", "monthly", "plan", "invoice", "billing", "account", "credit"),
        *("payment", "method", "request", "days", "cancel", "upgrade", "downgrade", "support", "agent"),
        *("approve", "reject", "partial", "full", "period", "notice", "written", "policy"),
    ]

    def sentence() -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 18))).capitalize() + "."

    parts = []
    for number in range(16):
        parts.append(f"# Section {number}")
        for sub in range(rng.randint(1, 3)):
            parts.append(f"## Topic {number}.{sub}")
            for _ in range(rng.randint(1, 4)):
                parts.append(" ".join(sentence() for _ in range(rng.randint(2, 9))))
            if rng.random() < 0.4:
                parts.append("\n".join(f"- {sentence()}" for _ in range(rng.randint(2, 6))))
    return "\n\n".join(parts)


def test_editing_one_word_of_a_fifty_chunk_document_changes_at_most_two_chunks() -> None:
    config = ChunkingConfig(target_tokens=120, max_tokens=160, overlap_tokens=24)
    source = long_policy(random.Random(7))
    before = chunk_document("Refund policy", source, config)
    assert len(before) >= 50
    before_hashes = {c.content_hash for c in before}
    words = [
        m for m in re.finditer(r"\b(refund|credit)\b", source) if source[m.start() - 2 : m.start()] != "# "
    ]
    assert len(words) > 40
    for match in words[:: max(1, len(words) // 40)]:
        replacement = "credit" if match.group() == "refund" else "refund"
        edited = source[: match.start()] + replacement + source[match.end() :]
        after = chunk_document("Refund policy", edited, config)
        assert len({c.content_hash for c in after} - before_hashes) <= 2
        assert len(before_hashes - {c.content_hash for c in after}) <= 2


def test_longer_edit_does_not_spill_into_other_sections() -> None:
    config = ChunkingConfig(target_tokens=120, max_tokens=160, overlap_tokens=24)
    source = long_policy(random.Random(11))
    section = source.index("# Section 5")
    end_of_section = source.index("# Section 6")
    paragraph_end = source.index(".\n\n", section) + 1
    edited = source[:paragraph_end] + " Agents may also approve a partial credit." + source[paragraph_end:]

    def others(text: str, section_end: int) -> list[str]:
        return [
            c.content_hash for c in chunk_document("T", text, config) if not section <= c.start < section_end
        ]

    shift = len(edited) - len(source)
    assert others(source, end_of_section) == others(edited, end_of_section + shift)


def test_model_token_counter_counts_every_token_without_padding_or_truncation() -> None:
    from knowledge.embedding import token_counter

    count = token_counter("all-MiniLM-L6-v2")
    assert count("the") == 1
    assert count("the " * 300) == 300
