"""Reads of the knowledge base for its admin pages and the API: documents a caller may see, versions,
index status, form options. The search engine is `retrieval`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from support.core.replica import read_connection
from support.core.roles import ADMINISTRATOR, AGENT, INTEGRATION, KNOWLEDGE_ADMIN

from . import embedding
from .contracts import RetrievalScope
from .indexing import chosen_model
from .models import LIVE, Chunk, Document, DocumentVersion, IndexState, KeywordCorpus
from .visibility import document_visibility


def documents_for_user(*, roles: frozenset[str]) -> QuerySet[Document]:
    """Knowledge admins and administrators see every live document in any status; other staff see the
    published documents their roles may read."""
    live = Document.objects.filter(collection="live")
    if roles & {KNOWLEDGE_ADMIN, ADMINISTRATOR}:
        return live
    return live.filter(
        document_visibility(RetrievalScope(staff_roles=roles)), status=Document.Status.PUBLISHED
    )


def index_status(collection: str = "live") -> dict[str, Any]:
    """What the live index looks like now, for the API: models, a switch's progress, waiting work."""
    state = IndexState.objects.filter(pk=1).first()
    active = (state.active_model if state else "") or embedding.configured_model()
    switch = None
    if state is not None and state.target_model:
        switch = {"model": state.target_model, "done": state.target_done, "total": state.target_total}
    chunks = Chunk.objects.filter(document__collection=collection)
    versions = (
        DocumentVersion.objects.filter(document__collection=collection)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "active_model": active,
        "configured_model": chosen_model(),
        "switch": switch,
        "chunks": chunks.count(),
        "chunks_waiting": chunks.filter(dirty=True).count(),
        "versions": {row["state"]: row["n"] for row in versions},
        "keyword_statistics_at": KeywordCorpus.objects.filter(collection=collection)
        .values_list("refreshed_at", flat=True)
        .first(),
    }


def document_latest_state() -> Any:
    """The newest version's indexing state of each document, as an expression to annotate or filter by."""
    newest = DocumentVersion.objects.filter(document_id=OuterRef("pk")).order_by("-number").values("state")
    return Subquery(newest[:1])


def document_has_warnings() -> Any:
    """Whether the document's newest version, or the one search serves, carries warnings (hidden content,
    planted instructions), as an expression to annotate or filter by."""
    newest = DocumentVersion.objects.filter(document_id=OuterRef(OuterRef("pk"))).order_by("-number")
    flagged = (
        DocumentVersion.objects.filter(document_id=OuterRef("pk"))
        .filter(Q(pk=OuterRef("active_version_id")) | Q(number=Subquery(newest.values("number")[:1])))
        .exclude(warnings=[])
    )
    return Exists(flagged)


def version_lookup_for_user(*, roles: frozenset[str], ids: Sequence[int]) -> QuerySet[Any]:
    """The versions with these ids that belong to documents the caller may read (others are left out)."""
    return (
        DocumentVersion.objects.filter(pk__in=list(ids), document__in=documents_for_user(roles=roles))
        .only("id", "document_id", "number", "title", "state")
        .order_by("id")
    )


def owner_candidates() -> QuerySet[Any]:
    """Who may own a document: active staff who can edit the knowledge base."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=[KNOWLEDGE_ADMIN, ADMINISTRATOR]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


OPTIONS_ORGANIZATION_LIMIT = 2000


def knowledge_options(*, can_write: bool) -> dict[str, Any]:
    """The choices a document's metadata and a search's filters take: products, plans and the languages in
    use for every reader; organizations and possible owners only for editors, who need them to set an
    audience or an owner."""
    product = apps.get_model("customers", "Product")
    plan = apps.get_model("customers", "Plan")
    organization = apps.get_model("customers", "Organization")
    languages = set(Document.objects.filter(collection=LIVE).values_list("language", flat=True).distinct())
    options: dict[str, Any] = {
        "kinds": [{"value": v, "label": str(label)} for v, label in Document.Kind.choices],
        "statuses": [{"value": v, "label": str(label)} for v, label in Document.Status.choices],
        "audiences": [{"value": v, "label": str(label)} for v, label in Document.Audience.choices],
        "states": [{"value": v, "label": str(label)} for v, label in DocumentVersion.State.choices],
        "roles": [
            {"value": AGENT, "label": "Agent"},
            {"value": KNOWLEDGE_ADMIN, "label": "Knowledge admin"},
            {"value": INTEGRATION, "label": "Integration"},
            {"value": ADMINISTRATOR, "label": "Administrator"},
        ],
        "languages": sorted(languages | {"en"}),
        "products": [
            {"value": code, "label": name}
            for code, name in product.objects.order_by("name").values_list("code", "name")
        ],
        "plans": [
            {"value": code, "label": name}
            for code, name in plan.objects.order_by("rank", "name").values_list("code", "name")
        ],
        "organizations": [],
        "owners": [],
    }
    if can_write:
        options["organizations"] = [
            {"value": slug, "label": name}
            for slug, name in organization.objects.order_by("name").values_list("slug", "name")[
                :OPTIONS_ORGANIZATION_LIMIT
            ]
        ]
        options["owners"] = [
            {"value": user.username, "label": user.get_full_name() or user.username}
            for user in owner_candidates()
        ]
    return options


def documents_naming(needles: Sequence[str], *, collection: str = LIVE) -> dict[str, int]:
    """For each needle (a host name or an e-mail domain), how many published documents' active text names
    it. A host that only one document names is unverified: a planted link looks like that."""
    wanted = sorted({needle.lower() for needle in needles if needle})
    if not wanted:
        return {}
    patterns = ["%" + re.sub(r"([\\%_])", r"\\\1", needle) + "%" for needle in wanted]
    sql = """
        SELECT n.needle, count(DISTINCT c.document_id)
        FROM unnest(%s::text[], %s::text[]) AS n(needle, pattern)
        JOIN knowledge_chunk c ON c.text ILIKE n.pattern
        JOIN knowledge_document d ON d.id = c.document_id AND d.active_version_id = c.version_id
        WHERE d.status = 'published' AND d.collection = %s
        GROUP BY n.needle
    """
    with read_connection().cursor() as cursor:
        cursor.execute(sql, [wanted, patterns, collection])
        found = dict(cursor.fetchall())
    return {needle: int(found.get(needle, 0)) for needle in wanted}


def version_newest_id(*, document: Document) -> int | None:
    """The id of the document's newest version; None before it has one."""
    return document.versions.order_by("-number").values_list("pk", flat=True).first()


def versions_for_user(*, roles: frozenset[str], document_id: int) -> QuerySet[DocumentVersion]:
    """The versions of a document the caller may read (none when they may not read it)."""
    readable = documents_for_user(roles=roles)
    return DocumentVersion.objects.filter(document__in=readable, document_id=document_id)
