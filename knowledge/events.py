"""What the knowledge base tells subscribers (see support.core.events): a document was published, or a
published document got a new version."""

from __future__ import annotations

from typing import Any

from support.core import events

from .models import LIVE, Document, DocumentVersion


def document_published(*, document: Document, version: DocumentVersion | None, reason: str) -> None:
    """Announce a live document's publication (`reason`: "published" or "new_version")."""
    if document.collection != LIVE:
        return

    def data() -> dict[str, Any]:
        latest = version or document.versions.order_by("-number").first()
        return {
            "document": {
                "id": document.pk,
                "title": document.title,
                "slug": document.slug,
                "kind": document.kind,
                "language": document.language,
                "audience": document.audience,
                "source": document.source,
                "external_id": document.external_id,
            },
            "version": None if latest is None else {"number": latest.number, "state": latest.state},
            "reason": reason,
        }

    events.event_publish(events.DOCUMENT_PUBLISHED, data)
