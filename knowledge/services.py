"""Everything that can happen to a document and its versions: create, new version (chunked at once, embedded
by the pipeline in `indexing`), restore, publish / archive / restore to draft, metadata changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.text import slugify

from support.core.errors import Conflict, DomainError

from . import embedding, events
from .chunking import ChunkingConfig, chunk_document
from .indexing import active_model, model_for_writing, version_activate, version_queue
from .keyword_stats import keyword_stats_queue
from .languages import cjk_bigram_lines, language_detect, text_config
from .models import LIVE, Chunk, Document, DocumentVersion, EmbeddingCache
from .safety.hidden import HiddenFinding, HiddenScan, visible_text
from .safety.instructions import instruction_findings


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunking_config() -> ChunkingConfig:
    return ChunkingConfig(
        target_tokens=settings.CHUNK_TARGET_TOKENS,
        max_tokens=settings.CHUNK_MAX_TOKENS,
        overlap_tokens=settings.CHUNK_OVERLAP_TOKENS,
    )


def _unique_slug(collection: str, title: str, wanted: str | None) -> str:
    base = slugify(wanted or title)[:180] or "document"
    slug, n = base, 2
    while Document.objects.filter(collection=collection, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@dataclass(frozen=True)
class SourceFile:
    name: str
    data: bytes
    format: str


def document_create(
    *,
    title: str,
    text: str,
    kind: str = Document.Kind.POLICY,
    status: str = Document.Status.DRAFT,
    slug: str | None = None,
    collection: str = LIVE,
    owner: Any = None,
    products: Iterable[Any] = (),
    language: str | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    audience: str = Document.Audience.PUBLIC,
    audience_plans: Iterable[Any] = (),
    audience_organizations: Iterable[Any] = (),
    audience_roles: Sequence[str] = (),
    source: str = "openbook",
    external_id: str = "",
    source_file: SourceFile | None = None,
    hidden: Sequence[HiddenFinding] = (),
    note: str = "",
    embed_async: bool = True,
) -> Document:
    """Create a document and its first version (chunked now, embedded in the background). `hidden` is what
    the parser of an uploaded file left out of `text` as hidden from readers (see `version_create`).
    `language` is kept exactly as given; without one, it is detected from the title and text (the company's
    language when they are too short to tell), and detected again for each new version."""
    if not text.strip():
        raise DomainError("A document needs some text.", field="text")
    if valid_from and valid_until and valid_until < valid_from:
        raise DomainError("valid_until is before valid_from.", field="valid_until")
    if slug and Document.objects.filter(collection=collection, slug=slug).exists():
        raise Conflict("A document with this slug already exists.", field="slug")
    with transaction.atomic():
        document = Document.objects.create(
            title=title.strip(),
            slug=_unique_slug(collection, title, slug),
            kind=kind,
            status=status,
            collection=collection,
            owner=owner,
            language=language or language_detect(f"{title}\n\n{text}"),
            language_detected=not language,
            valid_from=valid_from,
            valid_until=valid_until,
            audience=audience,
            audience_roles=list(audience_roles),
            source=source,
            external_id=external_id,
        )
        document.products.set(products)
        document.audience_plans.set(audience_plans)
        document.audience_organizations.set(audience_organizations)
        version_create(
            document=document,
            text=text,
            author=owner,
            note=note or "Created",
            source_file=source_file,
            hidden=hidden,
            embed_async=embed_async,
        )
    return document


MAX_NOTE_CHARS = 500


def version_create(
    *,
    document: Document,
    text: str,
    title: str | None = None,
    author: Any = None,
    note: str = "",
    source_file: SourceFile | None = None,
    hidden: Sequence[HiddenFinding] = (),
    carried_warnings: Sequence[dict[str, Any]] = (),
    embed_async: bool = True,
) -> DocumentVersion:
    """Store a new immutable version, chunk it, reuse cached vectors, and queue embedding for the rest.

    The text is stored as written; what a reader would not see in it (comments, hidden HTML, invisible
    characters) is left out of the chunks, so search and drafts never quote it, and listed in the version's
    `warnings` with whatever the parser of the uploaded file left out (`hidden`), any planted instructions,
    and `carried_warnings` (a restored version's). Saving the same title, text and hidden content as the
    newest version stores nothing and returns that version.
    """
    if not text.strip():
        raise DomainError("A version needs some text.", field="text")
    if len(note) > MAX_NOTE_CHARS:
        raise DomainError(f"A version's note is at most {MAX_NOTE_CHARS} characters.", field="note")
    title = (title or document.title).strip()
    scan = visible_text(text)
    if not scan.text.strip():
        raise DomainError(
            "All of the text is hidden from readers (comments, hidden elements or invisible characters); "
            "there is nothing to index.",
            field="text",
        )
    title_scan = visible_text(title)
    warnings = _version_warnings(
        scan=scan,
        title_scan=title_scan,
        hidden=hidden,
        carried=carried_warnings,
        staff=document.audience == Document.Audience.INTERNAL,
    )
    # What a parser left out is not in the text: a file that differs only there is a new version.
    hidden_part = "".join(f"\n\n{f.kind}\n{f.detail}\n{f.text}" for f in hidden)
    content_hash = _sha256(title + "\n\n" + text + hidden_part)
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        latest = document.versions.order_by("-number").first()
        if latest is not None and latest.content_hash == content_hash:
            return latest
        if latest is not None and document.language_detected:
            # Nobody said which language the document is in: the new text says it (a translation replacing
            # the original, say). Its chunks are analysed in it; the served version's keep theirs.
            detected = language_detect(f"{title}\n\n{text}")
            if detected != document.language:
                Document.objects.filter(pk=document.pk).update(language=detected, updated_at=timezone.now())
                document.language = detected
        version = DocumentVersion.objects.create(
            document=document,
            number=(latest.number + 1) if latest else 1,
            title=title,
            text=text,
            content_hash=content_hash,
            author=author,
            note=note,
            source_name=source_file.name[:255] if source_file else "",
            source_format=source_file.format if source_file else "",
            warnings=warnings,
        )
        if source_file is not None:
            version.source_file.save(source_file.name, ContentFile(source_file.data), save=True)
        if title != document.title:
            Document.objects.filter(pk=document.pk).update(title=title, updated_at=timezone.now())
        _chunks_create(version=version, title=title_scan.text.strip() or title, text=scan.text)
        if version.chunks_embedded == version.chunks_total:
            version_activate(version=version)
        elif embed_async:
            version_id = version.pk
            transaction.on_commit(lambda: version_queue(version_id))
        if document.status == Document.Status.PUBLISHED:
            reason = "new_version" if latest is not None else "published"
            events.document_published(document=document, version=version, reason=reason)
    return version


def version_restore(
    *, document: Document, number: int, author: Any = None, note: str = ""
) -> DocumentVersion:
    """Bring back an earlier version's title and text as a new version (history is never rewritten).

    Restoring text identical to the newest version stores nothing and returns that version."""
    old = document.versions.filter(number=number).first()
    if old is None:
        raise DomainError(
            f"Version {number} does not exist.", field="number", code="not_found", status_code=404
        )
    return version_create(
        document=document,
        text=old.text,
        title=old.title,
        author=author,
        note=note or f"Restored version {number}",
        carried_warnings=old.warnings,
    )


MAX_WARNINGS = 100
_HIDDEN = DocumentVersion.WarningKind.HIDDEN_CONTENT.value
_PLANTED = DocumentVersion.WarningKind.PLANTED_INSTRUCTION.value


def _warning(kind: str, detail: str, text: str, score: float | None = None) -> dict[str, Any]:
    return {"kind": kind, "detail": detail, "text": text, "score": score}


def _planted_warnings(visible_text: str, *, within: str = "", staff: bool = False) -> list[dict[str, Any]]:
    """One `planted_instruction` warning per sentence of `visible_text` written to a model rather than to a
    reader (addressed to an assistant, posing as system instructions, asking for prompts, other customers'
    data or internal notes), with the detector's score; `within` names the hidden content the text came
    from, if any. `staff`: a staff-only document, whose directions to agents are not findings."""
    where = f"Inside hidden content ({within})" if within else "In the text"
    return [
        _warning(_PLANTED, f"{where}: {found.reason}", found.text, found.score)
        for found in instruction_findings(visible_text, staff=staff)
    ]


def _version_warnings(
    *,
    scan: HiddenScan,
    title_scan: HiddenScan,
    hidden: Sequence[HiddenFinding],
    carried: Sequence[dict[str, Any]],
    staff: bool = False,
) -> list[dict[str, Any]]:
    """The warnings a new version carries: each piece of hidden content, each planted instruction in the
    visible text or inside hidden content, and those carried over; each once, at most MAX_WARNINGS."""
    findings = [
        *hidden,
        *scan.findings,
        *(HiddenFinding(f.kind, f"In the title: {f.detail}", f.text) for f in title_scan.findings),
    ]
    warnings = [_warning(_HIDDEN, f.detail, f.text) for f in findings]
    warnings += _planted_warnings(scan.text, staff=staff)
    for f in findings:
        # Invisible characters sit in visible text, which is checked whole above.
        if f.kind != "invisible_characters" and f.text:
            warnings += _planted_warnings(visible_text(f.text).text, within=f.detail, staff=staff)
    unique: dict[tuple[str, str, str], dict[str, Any]] = {}
    for warning in [*warnings, *carried]:
        unique.setdefault((warning["kind"], warning["detail"], warning["text"]), warning)
    listed = list(unique.values())
    if len(listed) > MAX_WARNINGS:
        rest = len(listed) - MAX_WARNINGS + 1
        more = _warning(_HIDDEN, f"{rest} more warnings not listed", "")
        listed = [*listed[: MAX_WARNINGS - 1], more]
    return listed


def _chunks_create(*, version: DocumentVersion, title: str, text: str) -> None:
    """Chunk what readers see of the version (`title` and `text` without hidden content), each analysed for
    keyword search in the document's language."""
    model = model_for_writing()
    counter = embedding.token_counter(model or active_model())
    pieces = chunk_document(title, text, chunking_config(), counter)
    if not pieces:
        raise DomainError("The text has no content to index.", field="text")
    hashes = [p.content_hash for p in pieces]
    cached = (
        {}
        if model is None
        else dict(
            EmbeddingCache.objects.filter(model=model, content_hash__in=hashes).values_list(
                "content_hash", "embedding"
            )
        )
    )
    config = text_config(version.document.language)
    rows = [
        Chunk(
            version=version,
            document_id=version.document_id,
            collection=version.document.collection,
            text_config=config,
            cjk_bigrams=cjk_bigram_lines(title, " > ".join(p.heading_path), p.text),
            ordinal=p.ordinal,
            title=title,
            heading_path=list(p.heading_path),
            heading=" > ".join(p.heading_path),
            text=p.text,
            token_count=p.token_count,
            content_hash=p.content_hash,
            embedding=cached.get(p.content_hash),
            embedding_model=model if model and p.content_hash in cached else "",
            dirty=p.content_hash not in cached,
        )
        for p in pieces
    ]
    Chunk.objects.bulk_create(rows)
    embedded = sum(1 for r in rows if not r.dirty)
    DocumentVersion.objects.filter(pk=version.pk).update(
        chunks_total=len(rows),
        chunks_embedded=embedded,
        state=DocumentVersion.State.QUEUED if embedded < len(rows) else DocumentVersion.State.EMBEDDING,
    )
    version.chunks_total, version.chunks_embedded = len(rows), embedded


def document_set_status(*, document: Document, status: str) -> Document:
    """Publish, archive or restore (to draft). Only published documents are ever retrieved."""
    if status not in Document.Status.values:
        raise DomainError(f"Unknown status {status!r}.", field="status")
    if status == Document.Status.PUBLISHED and not document.versions.exists():
        raise DomainError("A document without text cannot be published.", field="status")
    with transaction.atomic():
        previous = Document.objects.select_for_update().values_list("status", flat=True).get(pk=document.pk)
        Document.objects.filter(pk=document.pk).update(status=status, updated_at=timezone.now())
        document.refresh_from_db()
        if status == Document.Status.PUBLISHED and previous != status:
            events.document_published(document=document, version=None, reason="published")
    return document


def document_update(*, document: Document, **fields: Any) -> Document:
    """Change a document's metadata (audience, validity, products, kind, language, owner). A language given
    here is the document's from now on (never detected again); when it is analysed differently from the old
    one, every chunk of the document is indexed again for keyword search, in place."""
    relations = {
        k: fields.pop(k) for k in ("products", "audience_plans", "audience_organizations") if k in fields
    }
    allowed = {"kind", "language", "valid_from", "valid_until", "audience", "audience_roles", "owner", "slug"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))} here.")
    valid_from = fields.get("valid_from", document.valid_from)
    valid_until = fields.get("valid_until", document.valid_until)
    if valid_from and valid_until and valid_until < valid_from:
        raise DomainError("valid_until is before valid_from.", field="valid_until")
    if (
        "slug" in fields
        and Document.objects.filter(collection=document.collection, slug=fields["slug"])
        .exclude(pk=document.pk)
        .exists()
    ):
        raise Conflict("A document with this slug already exists.", field="slug")
    if "language" in fields:
        fields["language_detected"] = False
    try:
        with transaction.atomic():
            for name, value in fields.items():
                setattr(document, name, value)
            document.save()
            for name, values in relations.items():
                getattr(document, name).set(values)
            if "language" in fields:
                _chunks_reanalyse(document)
    except IntegrityError:
        raise Conflict("The change conflicts with another document.") from None
    return document


def _chunks_reanalyse(document: Document) -> None:
    """Index every chunk of the document (all its versions) not yet analysed in its language's configuration
    in it: the generated search vectors follow the changed column. Keyword statistics are recounted once
    this is committed."""
    config = text_config(document.language)
    # A name compares with a regconfig only once cast to one (bare, Postgres reads it as an oid).
    same = RawSQL("%s::regconfig", (config,))
    changed = Chunk.objects.filter(document=document).exclude(text_config=same).update(text_config=config)
    if changed and document.active_version_id is not None:
        collection = document.collection
        transaction.on_commit(lambda: keyword_stats_queue(collection))


def document_update_with_status(*, document: Document, status: str | None = None, **fields: Any) -> Document:
    """Change a document's metadata (see `document_update`) and, when `status` is given, its status (see
    `document_set_status`), in one transaction: both or neither."""
    with transaction.atomic():
        document_update(document=document, **fields)
        if status:
            document_set_status(document=document, status=status)
    return document
