"""Markdown files: the text as written, without a YAML front matter block, whose `title:` is the title."""

from __future__ import annotations

import re

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL | re.MULTILINE)
_YAML_KEY = re.compile(r"[A-Za-z_][\w .-]*:(?:\s|$)")


def parse_markdown(source: str) -> tuple[str, str | None]:
    """The text without its front matter, and the front matter's title if it has one."""
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
