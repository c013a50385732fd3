"""Everything that can happen to a document: create, new version, publish / archive / restore, and the
indexing work (embed dirty chunks, activate complete versions, switch the embedding model)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.text import slugify
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from support.core.errors import Conflict, DomainError

from . import embedding, events
from .chunking import ChunkingConfig, chunk_document, embedding_text
from .models import (
    LIVE,
    Chunk,
    Document,
    DocumentVersion,
    EmbeddingCache,
    IndexState,
    KeywordCorpus,
)
from .safety.hidden import HiddenFinding, HiddenScan, visible_text
from .safety.instructions import instruction_findings

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _model_for_writing() -> str | None:
    """The active model, for a transaction about to give chunks vectors of it; None while a model switch
    is changing over, and then the chunks are left to the workers, who embed them with the new model once
    it is done. The key-share lock taken on the state row (to the end of the transaction) makes the
    switch's final step wait for this transaction, so no chunk gets an old vector after it; this one never
    waits, since that step can take minutes. Progress updates of the row do not conflict with the lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT active_model FROM {IndexState._meta.db_table} WHERE id = 1 "  # noqa: S608
            "FOR KEY SHARE SKIP LOCKED"
        )
        row = cursor.fetchone()
    if row is None and IndexState.objects.filter(pk=1).exists():
        return None
    return row[0] if row and row[0] else active_model()


def active_model() -> str:
    """The model whose vectors search serves: the recorded one, or the configured one on a fresh install."""
    # Read by every search: a plain statement (the ORM's query building cost more than the read).
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT active_model FROM {IndexState._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    active = row[0] if row else None
    if not active:
        IndexState.objects.update_or_create(pk=1, defaults={"active_model": embedding.configured_model()})
        return embedding.configured_model()
    return active


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
    language: str = "en",
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
    the parser of an uploaded file left out of `text` as hidden from readers (see `version_create`)."""
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
            language=language,
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
    """Chunk what readers see of the version (`title` and `text` without hidden content)."""
    model = _model_for_writing()
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
    rows = [
        Chunk(
            version=version,
            document_id=version.document_id,
            collection=version.document.collection,
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


def version_queue(version_id: int) -> None:
    """Hand a version to the embedding workers. A broker that is down loses nothing: the version waits in
    the database, the sweep queues it (`versions_pending`), and the caller's change, already committed, is
    not reported as failed."""
    from .tasks import embed_version

    try:
        embed_version.apply_async(args=[version_id], queue="embeddings", retry_policy={"max_retries": 1})
    except BrokerError as exc:
        log.warning("could not queue version %s for embedding (%s); the sweep will", version_id, exc)


def version_activate(*, version: DocumentVersion) -> bool:
    """Make `version` the one search serves, if all its chunks are embedded and it is newer than the active
    one. One transaction: search sees the old version or the new one, never a mix."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=version.document_id)
        version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        if version.state == DocumentVersion.State.ACTIVE:
            return False
        if version.chunks.filter(dirty=True).exists():
            return False
        current = document.active_version
        if current is not None and current.number > version.number:
            version.state = DocumentVersion.State.SUPERSEDED
            version.save(update_fields=["state"])
            return False
        if current is not None:
            DocumentVersion.objects.filter(pk=current.pk).update(state=DocumentVersion.State.SUPERSEDED)
        version.state = DocumentVersion.State.ACTIVE
        version.activated_at = timezone.now()
        version.chunks_embedded = version.chunks_total
        version.last_error = ""
        version.save(update_fields=["state", "activated_at", "chunks_embedded", "last_error"])
        document.active_version = version
        document.save(update_fields=["active_version", "updated_at"])
        transaction.on_commit(lambda: keyword_stats_queue(document.collection))
    return True


def chunks_embed_batch(*, version_id: int | None = None, limit: int | None = None) -> int:
    """Embed one batch of dirty chunks (of one version first, or of any). Returns how many got a vector.

    The batch is claimed with SKIP LOCKED and written in the same transaction, so workers never embed the
    same chunk at once, and a worker killed mid-batch leaves its chunks dirty for the next run.
    """
    return sum(_embed_batch(version_id=version_id, size=limit or settings.EMBEDDING_CLAIM_SIZE).values())


def _embed_batch(*, version_id: int | None, size: int) -> dict[int, int]:
    """Claim and embed up to `size` dirty chunks: those of `version_id` first, topped up with other versions'
    dirty chunks (oldest first). Nothing is claimed when `version_id` has no dirty chunk left to claim.
    Returns how many chunks of each version got a vector.

    Topping up matters: many documents are a few chunks long (an FAQ entry is one), and the model encodes
    a handful of texts at about half the rate of a few hundred, which it sorts by length into full batches.
    """
    with transaction.atomic():
        # First the state row, then chunks: the order a switch's final step takes them in, so no deadlock.
        model = _model_for_writing()
        if model is None:
            return {}  # a switch is changing over: the sweep queues this version again afterwards
        dirty = Chunk.objects.select_for_update(skip_locked=True).filter(dirty=True).order_by("id")
        if version_id is None:
            ids = list(dirty.values_list("id", flat=True)[:size])
        else:
            ids = list(dirty.filter(version_id=version_id).values_list("id", flat=True)[:size])
            if ids and len(ids) < size:
                others = dirty.exclude(version_id=version_id).values_list("id", flat=True)
                ids += list(others[: size - len(ids)])
        if not ids:
            return {}
        return _embed_claimed(Chunk.objects.filter(id__in=ids), model=model)


def chunks_embed_ids(*, ids: Sequence[int]) -> int:
    """Embed the given chunks if still dirty (claimed the same way as `chunks_embed_batch`)."""
    with transaction.atomic():
        model = _model_for_writing()
        if model is None:
            return 0
        return sum(
            _embed_claimed(
                Chunk.objects.select_for_update(skip_locked=True).filter(id__in=ids, dirty=True), model=model
            ).values()
        )


def _embed_claimed(claimed: Any, *, model: str) -> dict[int, int]:
    """Give claimed chunks a vector: from the cache when the same text was embedded before with `model` (the
    active one), otherwise by embedding it now (and caching the result). Returns the chunks done per
    version."""
    batch = list(claimed.only("id", "version_id", "content_hash", "title", "heading_path", "text"))
    if not batch:
        return {}
    hashes = {c.content_hash for c in batch}
    vectors = dict(
        EmbeddingCache.objects.filter(model=model, content_hash__in=hashes).values_list(
            "content_hash", "embedding"
        )
    )
    missing: dict[str, str] = {}
    for chunk in batch:
        if chunk.content_hash not in vectors and chunk.content_hash not in missing:
            missing[chunk.content_hash] = embedding_text(chunk.title, chunk.heading_path, chunk.text)
    if missing:
        fresh = dict(zip(missing.keys(), embedding.embed(list(missing.values()), model=model), strict=True))
        EmbeddingCache.objects.bulk_create(
            [EmbeddingCache(content_hash=h, model=model, embedding=v) for h, v in fresh.items()],
            ignore_conflicts=True,
        )
        vectors.update(fresh)
    # One statement over two arrays: Django's bulk_update would send a CASE with a branch per chunk.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE knowledge_chunk AS c SET embedding = v.embedding::vector, embedding_model = %s, "
            "dirty = false FROM unnest(%s::int[], %s::text[]) AS v(id, embedding) WHERE c.id = v.id",
            [
                model,
                [chunk.id for chunk in batch],
                [embedding.vector_literal(vectors[chunk.content_hash]) for chunk in batch],
            ],
        )
    per_version: dict[int, int] = {}
    for chunk in batch:
        per_version[chunk.version_id] = per_version.get(chunk.version_id, 0) + 1
    for version_id, count in per_version.items():
        DocumentVersion.objects.filter(pk=version_id).update(
            chunks_embedded=F("chunks_embedded") + count, state=DocumentVersion.State.EMBEDDING, last_error=""
        )
    return per_version


def version_embed(*, version_id: int, progress: Progress | None = None) -> bool:
    """Embed every dirty chunk of a version, then activate it. Safe to run twice or concurrently.

    Batches are topped up with other versions' dirty chunks, and those versions are activated here too once
    complete (their own task may have run, found their chunks claimed, and left them inactive)."""
    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None:
        return False
    others: set[int] = set()
    while True:
        done = _embed_batch(version_id=version_id, size=settings.EMBEDDING_CLAIM_SIZE)
        if not done.get(version_id):
            break
        others.update(done.keys() - {version_id})
        if progress:
            version.refresh_from_db(fields=["chunks_embedded", "chunks_total"])
            progress(version.chunks_embedded, version.chunks_total)
    activated = version_activate(version=version)
    for other in DocumentVersion.objects.filter(pk__in=others).exclude(state=DocumentVersion.State.ACTIVE):
        version_activate(version=other)
    return activated


def version_fail(*, version_id: int, error: str) -> None:
    DocumentVersion.objects.filter(pk=version_id).exclude(state=DocumentVersion.State.ACTIVE).update(
        state=DocumentVersion.State.FAILED, last_error=error[:2000]
    )


def versions_pending() -> list[int]:
    """Versions with chunks still to embed, or complete but not yet activated (the sweep's work list)."""
    dirty = Chunk.objects.filter(dirty=True).values_list("version_id", flat=True).distinct()
    complete = (
        DocumentVersion.objects.filter(
            state__in=[
                DocumentVersion.State.QUEUED,
                DocumentVersion.State.EMBEDDING,
                DocumentVersion.State.FAILED,
            ]
        )
        .exclude(chunks__dirty=True)
        .values_list("id", flat=True)
    )
    return sorted(set(dirty) | set(complete))


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
    """Change a document's metadata (audience, validity, products, kind, language, owner)."""
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
    try:
        with transaction.atomic():
            for name, value in fields.items():
                setattr(document, name, value)
            document.save()
            for name, values in relations.items():
                getattr(document, name).set(values)
    except IntegrityError:
        raise Conflict("The change conflicts with another document.") from None
    return document


SWITCH_LOCK = "knowledge:embedding-model-switch"


@contextlib.contextmanager
def _session_lock(name: str) -> Iterator[bool]:
    """Try to take a Postgres advisory lock for this connection's session; yields whether it was taken. A
    worker that dies holding it loses its connection, and the lock with it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [name])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])


def embedding_model_switch(
    *, model: str, progress: Progress | None = None, batch_size: int | None = None
) -> int:
    """Re-embed every chunk of every version into `model` while search keeps serving the current vectors,
    then switch all of them in one transaction. Returns how many texts were embedded.

    One switch works at a time: the sweep queues one every minute while a switch runs, and the task of a
    worker that was killed comes back later; those find the switch claimed and return 0. A switch that
    was killed resumes from the vectors it had already stored."""
    with _session_lock(SWITCH_LOCK) as claimed:
        if not claimed:
            log.info("an embedding model switch is running already; %s will be done by it", model)
            return 0
        return _model_switch(model=model, progress=progress, batch_size=batch_size)


# Rounds of re-embedding what arrived during the previous round before the final step embeds the rest while
# it holds the index state (and so briefly keeps new versions waiting).
SWITCH_CATCH_UP_ROUNDS = 5


def _hashes_without_vector(model: str) -> list[str]:
    """Texts of any chunk that have no vector for `model` yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT c.content_hash FROM knowledge_chunk AS c
            WHERE NOT EXISTS (
                SELECT 1 FROM knowledge_embeddingcache AS e
                WHERE e.content_hash = c.content_hash AND e.model = %s
            )
            ORDER BY 1
            """,
            [model],
        )
        return [row[0] for row in cursor.fetchall()]


def _switch_embed(*, model: str, hashes: list[str], batch_size: int, progress: Progress | None) -> int:
    """Embed the texts of `hashes` with `model` into the cache, batch by batch, counting progress."""
    embedded = 0
    for start in range(0, len(hashes), batch_size):
        part = hashes[start : start + batch_size]
        texts = {}
        for chunk in (
            Chunk.objects.filter(content_hash__in=part).distinct("content_hash").order_by("content_hash")
        ):
            texts[chunk.content_hash] = embedding_text(chunk.title, chunk.heading_path, chunk.text)
        vectors = embedding.embed(list(texts.values()), model=model)
        # The vectors and the progress they make commit together, so a kill leaves the count exact. Texts
        # whose chunks were deleted meanwhile leave the total.
        with transaction.atomic():
            EmbeddingCache.objects.bulk_create(
                [
                    EmbeddingCache(content_hash=h, model=model, embedding=v)
                    for h, v in zip(texts, vectors, strict=True)
                ],
                ignore_conflicts=True,
            )
            IndexState.objects.filter(pk=1).update(
                target_done=F("target_done") + len(texts),
                target_total=F("target_total") - (len(part) - len(texts)),
            )
        embedded += len(texts)
        if progress:
            state = IndexState.objects.get(pk=1)
            progress(state.target_done, state.target_total)
    return embedded


def _switch_add(hashes: list[str]) -> None:
    IndexState.objects.filter(pk=1).update(target_total=F("target_total") + len(hashes))


def _model_switch(*, model: str, progress: Progress | None, batch_size: int | None) -> int:
    batch_size = batch_size or settings.EMBEDDING_BATCH_SIZE
    IndexState.objects.get_or_create(pk=1, defaults={"active_model": active_model()})
    total = Chunk.objects.values("content_hash").distinct().count()
    todo = _hashes_without_vector(model)
    IndexState.objects.filter(pk=1).update(
        target_model=model, target_total=total, target_done=total - len(todo)
    )
    embedded = 0
    # Versions stored meanwhile are embedded with the model search still serves: each round re-embeds
    # what arrived during the one before.
    for _ in range(SWITCH_CATCH_UP_ROUNDS):
        if not todo:
            break
        embedded += _switch_embed(model=model, hashes=todo, batch_size=batch_size, progress=progress)
        todo = _hashes_without_vector(model)
        _switch_add(todo)
    with transaction.atomic():
        # Every transaction that gives chunks vectors holds a key-share lock on this row (_model_for_writing):
        # once this lock is granted, none is under way, and the ones that start meanwhile give none. So
        # what still has no vector here is all there is, and nothing is stamped with the old model after.
        IndexState.objects.select_for_update().get(pk=1)
        with connection.cursor() as cursor:
            # This step rewrites every chunk and its index entries: minutes for a large library, far past
            # the statement timeout (which would roll it back, again at every sweep). The task's time
            # limit bounds it instead.
            cursor.execute("SET LOCAL statement_timeout = 0")
        rest = _hashes_without_vector(model)
        if rest:
            _switch_add(rest)
            embedded += _switch_embed(model=model, hashes=rest, batch_size=batch_size, progress=progress)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE knowledge_chunk AS c
                SET embedding = e.embedding, embedding_model = e.model, dirty = false
                FROM knowledge_embeddingcache AS e
                WHERE e.content_hash = c.content_hash AND e.model = %s
                """,
                [model],
            )
        Chunk.objects.filter(~Q(embedding_model=model)).update(dirty=True)
        IndexState.objects.filter(pk=1).update(
            active_model=model, target_model="", target_done=0, target_total=0
        )
    return embedded


KEYWORD_STATS_DEBOUNCE_SECONDS = 5


def keyword_stats_refresh(*, collection: str) -> int:
    """Recount, for BM25, how many of the collection's searchable chunks hold each lexeme and their mean
    length. One transaction, so search reads the old figures or the new ones. Returns the chunk count."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"keyword-stats:{collection}"])
        cursor.execute(
            """
            SELECT count(*), coalesce(avg(length(c.search_vector)), 0)
            FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
            WHERE d.collection = %s AND c.version_id = d.active_version_id
            """,
            [collection],
        )
        chunks, mean_length = cursor.fetchone()
        cursor.execute("DELETE FROM knowledge_keywordstat WHERE collection = %s", [collection])
        cursor.execute(
            """
            INSERT INTO knowledge_keywordstat (collection, lexeme, df)
            SELECT %s, word, ndoc FROM ts_stat(format(
                'SELECT c.search_vector FROM knowledge_chunk c JOIN knowledge_document d '
                'ON d.id = c.document_id WHERE d.collection = %%L AND c.version_id = d.active_version_id',
                %s::text))
            """,
            [collection, collection],
        )
        KeywordCorpus.objects.update_or_create(
            collection=collection,
            defaults={"chunks": chunks, "mean_length": float(mean_length), "refreshed_at": timezone.now()},
        )
    return int(chunks)


def keyword_stats_queue(collection: str) -> None:
    """Ask a worker to recount the collection's keyword statistics soon; activations that land within a few
    seconds of each other share one recount (the sweep catches anything that slips through)."""
    from celery import current_app
    from django.core.cache import cache

    # Called once a version is live: with Redis down, the statistics stay stale until the sweep finds them
    # so (`keyword_stats_stale`), and the activation is not reported as failed.
    try:
        if cache.add(f"knowledge:keyword-stats:{collection}", 1, timeout=KEYWORD_STATS_DEBOUNCE_SECONDS):
            current_app.send_task(
                "knowledge.keyword_stats_refresh",
                args=[collection],
                queue="embeddings",
                countdown=KEYWORD_STATS_DEBOUNCE_SECONDS,
                retry_policy={"max_retries": 1},
            )
    except (BrokerError, RedisError) as exc:
        log.warning(
            "could not queue a keyword statistics recount for %s (%s); the sweep will", collection, exc
        )


def keyword_stats_stale() -> list[str]:
    """Collections whose keyword statistics predate their latest activation (or that have none)."""
    latest = (
        DocumentVersion.objects.filter(state=DocumentVersion.State.ACTIVE)
        .values("document__collection")
        .annotate(last=Max("activated_at"))
    )
    refreshed = dict(KeywordCorpus.objects.values_list("collection", "refreshed_at"))
    stale = []
    for row in latest:
        collection, last = row["document__collection"], row["last"]
        seen = refreshed.get(collection)
        if seen is None or (last is not None and last > seen):
            stale.append(collection)
    return sorted(stale)
