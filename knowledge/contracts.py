"""What `knowledge.api` hands to the rest of Openbook: frozen values, never querysets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

VectorSearch = Literal["used", "unavailable", "off"]


@dataclass(frozen=True)
class RetrievalScope:
    """Whose rights a search runs with. Staff roles decide which internal documents are visible; the
    customer's plan and organization decide which restricted ones are. `None` customer fields mean the search
    is not on behalf of a customer (staff hit testing), so restricted documents are not narrowed by them."""

    staff_roles: frozenset[str] = frozenset()
    customer_plan: str | None = None
    customer_organization: str | None = None
    for_customer: bool = False
    products: tuple[str, ...] = ()
    language: str | None = None
    on_date: date | None = None
    collection: str = "live"


@dataclass(frozen=True)
class RetrievedChunk:
    """One passage found for a query, with where it comes from and why it ranked."""

    chunk_id: int
    document_id: int
    version_id: int
    document_title: str
    document_slug: str
    kind: str
    heading_path: tuple[str, ...]
    text: str
    vector_score: float | None
    keyword_score: float | None
    fused_score: float
    vector_rank: int | None = None
    keyword_rank: int | None = None
    external_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    audience: str = "public"
    """The document's audience: "public", "plans", "organizations", or "internal" (staff only: never quoted
    to a customer)."""
    language: str = ""
    """The document's language tag ("en", "de")."""


@dataclass(frozen=True)
class Retrieval:
    """The passages found for a query, and whether vector search took part in ranking them.

    `vector_search` is "used"; "unavailable" when the query could not be embedded in time (no embedding
    worker answered), so the passages are ranked by keywords only and `notice` says why; or "off" when
    vectors were not asked for or the query has no text to embed."""

    chunks: tuple[RetrievedChunk, ...]
    vector_search: VectorSearch
    notice: str = ""
    # The query's vector, so a second search for the same text (another filter) need not embed it again.
    vector: tuple[float, ...] | None = None


@dataclass(frozen=True)
class IngestResult:
    """What happened to one file or record given to the knowledge base: the document's title and the
    warnings of its version (hidden content, planted instructions: `{"kind", "detail", "text", "score"}`)
    when it was stored."""

    name: str
    ok: bool
    document_id: int | None = None
    version_id: int | None = None
    created: bool = False
    unchanged: bool = False
    error: str = ""
    title: str = ""
    warnings: tuple[dict[str, Any], ...] = ()


Progress = Callable[[int, int], None]
"""Called with (done, total) as a long job advances."""

StageProgress = Callable[[str, int, int], None]
"""Called with (stage, done, total) as a long job of several stages advances; a new stage name means the
previous stage is over."""


@dataclass(frozen=True)
class VersionStatus:
    """How far a document version's indexing has got. `state` is "queued", "embedding", "active",
    "superseded" or "failed" (`last_error` says why)."""

    version_id: int
    document_id: int
    number: int
    state: str
    chunks_total: int
    chunks_embedded: int
    last_error: str = ""


@dataclass(frozen=True)
class LibraryChunk:
    """One chunk of a bulk-loaded document: its heading and text."""

    heading: str
    text: str


@dataclass(frozen=True)
class LibraryDocument:
    """A document for `api.library_bulk_load`, already cut into chunks. Products and plans are codes,
    organizations slugs; they must exist."""

    title: str
    slug: str
    chunks: tuple[LibraryChunk, ...]
    kind: str = "policy"
    status: str = "published"
    language: str = ""
    """A language tag ("en", "de"); empty: detected from the title and text."""
    valid_from: date | None = None
    valid_until: date | None = None
    audience: str = "public"
    audience_roles: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelevancePairInput:
    """A judgment that `passage` does (or does not) answer `query`, for the retriever to learn from.
    `query` must already be redacted; `source_key` makes recording it twice a no-op."""

    query: str
    passage: str
    relevant: bool
    source: str
    source_key: str
    document_id: int | None = None
    content_hash: str = ""
    ticket_id: int | None = None
    customer_id: int | None = None
    created_by: str = ""
    occurred_at: datetime | None = None
