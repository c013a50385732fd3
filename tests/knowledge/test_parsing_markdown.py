"""Markdown uploads: front matter, the title from the first level-1 heading, hostile long lines.

Every fixture is built here, in memory: no binary files live in the repository.
"""

from __future__ import annotations

from knowledge.parsing import ParsedDocument, parse_document


def test_markdown_front_matter_is_stripped_and_supplies_the_title() -> None:
    data = (
        b'---\r\ntitle: "Refunds: how they work"\r\ntags: [billing]\r\n---\r\n'
        b"# Refund policy   \r\n\r\n\r\n\r\nWe refund within **30 days**.\r\n\r\n- Keep the receipt\r\n"
    )
    doc = parse_document("refunds.md", data)
    assert doc == ParsedDocument(
        title="Refunds: how they work",
        text="# Refund policy\n\nWe refund within **30 days**.\n\n- Keep the receipt",
        format="markdown",
    )


def test_markdown_title_comes_from_the_first_level_one_heading_outside_code() -> None:
    data = b"Intro line\n\n```bash\n# not a heading\n```\n\n## Section\n\n# The *real* title #\n"
    assert parse_document("notes.md", data).title == "The *real* title"


def test_markdown_setext_heading_is_a_title() -> None:
    assert parse_document("notes.md", b"Shipping rules\n==============\n\nText").title == "Shipping rules"


def test_markdown_heading_closing_hashes_and_inline_markup_are_left_out_of_the_title() -> None:
    assert (
        parse_document("x.md", b"# See the [**guide**](https://example.com/g) ##\n").title == "See the guide"
    )


def test_very_long_heading_gives_a_capped_title() -> None:
    title = parse_document("x.md", b"# " + b"word " * 100).title
    assert title == " ".join(["word"] * 39) + "…"


def test_hostile_long_lines_are_handled_in_linear_time() -> None:
    spaces = b" " * 300_000
    data = b"---\ntitle: a" + spaces + b"b\n---\n# c" + spaces + b"d\n# " + b"[" * 300_000
    doc = parse_document("x.md", data)
    assert doc.title == "a b"
    assert doc.text.startswith("# c" + " " * 300_000 + "d\n# [[[")


def test_markdown_opening_horizontal_rule_is_not_front_matter() -> None:
    data = b"---\nJust a paragraph between rules.\n---\nMore text\n"
    doc = parse_document("rules.md", data)
    assert doc.text == "---\nJust a paragraph between rules.\n---\nMore text"
    assert doc.title == "Rules"


def test_markdown_front_matter_without_title_falls_back_to_the_heading() -> None:
    doc = parse_document("x.md", b"---\nauthor: Sam\n---\n# Heading title\n")
    assert doc.title == "Heading title"
    assert doc.text == "# Heading title"
