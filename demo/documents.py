"""The demo policy library: Markdown files in demo/data/documents/ with a small front-matter block, read for
seeding and ingestion."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .datafiles import DATA_DIR, DataFileError

DOCUMENTS_DIR = DATA_DIR / "documents"
KINDS = ("policy", "faq", "troubleshooting", "product", "announcement")
AUDIENCES = ("public", "plans", "organizations", "internal")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


class FrontMatterError(DataFileError):
    """A policy document whose front matter is missing or malformed."""


@dataclass(frozen=True)
class DemoDocument:
    slug: str
    title: str
    kind: str
    audience: str
    body: str
    products: tuple[str, ...] = ()
    language: str = "en"
    plans: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def parse_document(path: Path) -> DemoDocument:
    """Parse one file; a missing or malformed front-matter block raises FrontMatterError naming the file."""
    text = path.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    if match is None:
        raise FrontMatterError(f"{path.name}: no front-matter block")
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise FrontMatterError(f"{path.name}: front-matter line without a colon: {line!r}")
        meta[key.strip()] = value.strip()
    for required in ("title", "kind", "audience"):
        if not meta.get(required):
            raise FrontMatterError(f"{path.name}: front matter lacks {required!r}")
    if meta["kind"] not in KINDS:
        raise FrontMatterError(f"{path.name}: unknown kind {meta['kind']!r}")
    if meta["audience"] not in AUDIENCES:
        raise FrontMatterError(f"{path.name}: unknown audience {meta['audience']!r}")

    def _date(key: str) -> date | None:
        if not meta.get(key):
            return None
        try:
            return date.fromisoformat(meta[key])
        except ValueError:
            raise FrontMatterError(f"{path.name}: {key} is not an ISO date") from None

    known = {
        "title",
        "kind",
        "audience",
        "products",
        "language",
        "plans",
        "organizations",
        "roles",
        "valid_from",
        "valid_until",
    }
    return DemoDocument(
        slug=path.stem,
        title=meta["title"],
        kind=meta["kind"],
        audience=meta["audience"],
        body=text[match.end() :].strip(),
        products=_split(meta.get("products", "")),
        language=meta.get("language") or "en",
        plans=_split(meta.get("plans", "")),
        organizations=_split(meta.get("organizations", "")),
        roles=_split(meta.get("roles", "")),
        valid_from=_date("valid_from"),
        valid_until=_date("valid_until"),
        extra={k: v for k, v in meta.items() if k not in known},
    )


def demo_documents() -> list[DemoDocument]:
    return [parse_document(path) for path in sorted(DOCUMENTS_DIR.glob("*.md"))]
