"""Realistic text for the benchmarks, read at run time: passages of the shared datasets' documents, or of the
demo library when no dataset is there. Nothing read here is stored in the project; it only goes into the
benchmark database."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.api import approx_token_count

DEMO_DOCUMENTS = Path(__file__).resolve().parent.parent / "demo" / "data" / "documents"
QUALITY_DATASETS = ("or-sharc", "dstc11-track5")

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Passage:
    """A short piece of prose with the title of the document it came from."""

    title: str
    text: str


def dataset_files(datasets: Path, name: str) -> tuple[Path, Path] | None:
    """(documents.jsonl, dev.jsonl) of a dataset folder, or None when either is missing."""
    folder = datasets / name
    documents, queries = folder / "documents.jsonl", folder / "dev.jsonl"
    if documents.is_file() and queries.is_file():
        return documents, queries
    return None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                if isinstance(row, dict):
                    yield row


def _prose(markdown: str) -> str:
    """Headings dropped, list items turned into sentences, whitespace collapsed."""
    parts = []
    for line in markdown.splitlines():
        if not line.strip() or _HEADING.match(line) or line.lstrip().startswith(("|", "---", "```")):
            continue
        item = _ITEM.sub("", line).strip()
        if item and item[-1] not in ".!?:":
            item += "."
        parts.append(item)
    return " ".join(" ".join(parts).split())


def _demo_passages() -> list[Passage]:
    passages = []
    for path in sorted(DEMO_DOCUMENTS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            text = text.split("---", 2)[-1]
        title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("# ")), "")
        for block in re.split(r"\n\s*\n", text):
            prose = _prose(block)
            if approx_token_count(prose) >= 12:
                passages.append(Passage(title or path.stem.replace("-", " ").capitalize(), prose))
    return passages


def passages(datasets: Path) -> list[Passage]:
    """Every passage of the dataset documents (the or-sharc rules, the dstc11 FAQ answers), then the demo
    library's paragraphs, in a stable order."""
    found: list[Passage] = []
    for name in QUALITY_DATASETS:
        files = dataset_files(datasets, name)
        if files is None:
            continue
        for row in read_jsonl(files[0]):
            text = _prose(str(row.get("text") or ""))
            if approx_token_count(text) >= 8:
                found.append(Passage(str(row.get("title") or "").strip() or "Guidance", text))
    found.extend(_demo_passages())
    unique: dict[str, Passage] = {}
    for passage in found:
        unique.setdefault(passage.text, passage)
    return list(unique.values())


def paragraphs(pool: list[Passage], *, min_tokens: int, max_tokens: int) -> list[Passage]:
    """Consecutive passages of the same document merged into paragraphs of `min_tokens`..`max_tokens`
    (approximate tokens); a single passage longer than `max_tokens` is cut at a sentence end."""
    merged: list[Passage] = []
    current: list[str] = []
    title = ""
    for passage in pool:
        if current and passage.title != title:
            _flush(merged, title, current, min_tokens)
            current = []
        title = passage.title
        for sentence in _SENTENCE_END.split(passage.text):
            if current and approx_token_count(" ".join([*current, sentence])) > max_tokens:
                _flush(merged, title, current, min_tokens)
                current = []
            current.append(sentence)
        if approx_token_count(" ".join(current)) >= min_tokens:
            _flush(merged, title, current, min_tokens)
            current = []
    _flush(merged, title, current, min_tokens)
    return merged


def _flush(into: list[Passage], title: str, sentences: list[str], min_tokens: int) -> None:
    text = " ".join(sentences).strip()
    if text and approx_token_count(text) >= min_tokens:
        into.append(Passage(title, text))


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def queries(datasets: Path) -> list[str]:
    """Questions customers asked, from the datasets' dev files (or the demo library's headings)."""
    found: list[str] = []
    for name in QUALITY_DATASETS:
        files = dataset_files(datasets, name)
        if files is None:
            continue
        for row in read_jsonl(files[1]):
            text = " ".join(str(row.get("query") or "").split())
            if len(text) >= 12:
                found.append(text)
    if not found:
        for path in sorted(DEMO_DOCUMENTS.glob("*.md")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.startswith("## "):
                    found.append(f"How does {line[3:].strip().lower()} work?")
    return list(dict.fromkeys(found))
