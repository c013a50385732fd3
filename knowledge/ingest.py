"""Files and records in, documents out: the ingestion service shared by the API, `import_documents` and the
demo seed. A file that cannot be parsed, is empty or too big is refused whole; a bulk import reports each
failure and keeps the good files."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction

from support.core.errors import DomainError, InUse

from . import services
from .contracts import IngestResult
from .models import LIVE, Document
from .parsing import FORMATS, ParseError, parse_document
from .safety.hidden import HiddenFinding
from .selectors import documents_for_user

METADATA_FIELDS = (
    "kind",
    "status",
    "language",
    "audience",
    "products",
    "plans",
    "organizations",
    "roles",
    "valid_from",
    "valid_until",
    "slug",
)


@dataclass
class Record:
    """One document to ingest: text plus optional metadata (codes and slugs, not ids)."""

    title: str
    text: str
    external_id: str = ""
    source: str = "import"
    metadata: dict[str, Any] = field(default_factory=dict)
    file_name: str = ""
    file_data: bytes | None = None
    file_format: str = ""
    hidden: tuple[HiddenFinding, ...] = ()  # what the file's parser left out as hidden from readers


def _codes(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    raise DomainError(f"Expected a list or comma-separated string, got {type(value).__name__}.")


def _date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(f"{name} must be an ISO date (YYYY-MM-DD).", field=name) from None


def _lookup(model: str, key: str, values: list[str]) -> list[Any]:
    found = list(apps.get_model("customers", model).objects.filter(**{f"{key}__in": values}))
    missing = sorted(set(values) - {getattr(f, key) for f in found})
    if missing:
        raise DomainError(f"Unknown {model.lower()} {key}(s): {', '.join(missing)}.")
    return found


LANGUAGE_MAX_CHARS = Document._meta.get_field("language").max_length or 12


def _language(value: Any) -> str:
    """A language tag as given: one that does not fit the field is refused, never cut to fit."""
    if not isinstance(value, str):
        raise DomainError("language must be a string (a language tag such as en or pt-BR).", field="language")
    if len(value) > LANGUAGE_MAX_CHARS:
        raise DomainError(
            f"language must be at most {LANGUAGE_MAX_CHARS} characters (a language tag such as en or pt-BR).",
            field="language",
        )
    return value


def metadata_resolve(meta: dict[str, Any]) -> dict[str, Any]:
    """Document fields from import metadata given as codes and slugs; unknown codes are a DomainError."""
    out: dict[str, Any] = {}
    if meta.get("kind"):
        if meta["kind"] not in Document.Kind.values:
            raise DomainError(f"Unknown kind {meta['kind']!r}; use one of {', '.join(Document.Kind.values)}.")
        out["kind"] = meta["kind"]
    if meta.get("status"):
        if meta["status"] not in Document.Status.values:
            raise DomainError(f"Unknown status {meta['status']!r}.")
        out["status"] = meta["status"]
    if meta.get("audience"):
        if meta["audience"] not in Document.Audience.values:
            raise DomainError(f"Unknown audience {meta['audience']!r}.")
        out["audience"] = meta["audience"]
    if meta.get("language"):
        out["language"] = _language(meta["language"])
    # Only what is given: an update must not clear products or audience it was not told about.
    lookups = {
        "products": ("products", "Product", "code"),
        "plans": ("audience_plans", "Plan", "code"),
        "organizations": ("audience_organizations", "Organization", "slug"),
    }
    for key, (target, model, attr) in lookups.items():
        if key in meta:
            out[target] = _lookup(model, attr, _codes(meta[key]))
    if "roles" in meta:
        out["audience_roles"] = _codes(meta["roles"])
    for key in ("valid_from", "valid_until"):
        if key in meta:
            out[key] = _date(meta[key], key)
    if meta.get("slug"):
        out["slug"] = str(meta["slug"])
    return out


def record_ingest(
    record: Record,
    *,
    collection: str = LIVE,
    owner: Any = None,
    embed_async: bool = True,
    default_status: str = Document.Status.PUBLISHED,
) -> IngestResult:
    """Create the document, or add a version to the one with the same external id when its text changed."""
    name = record.file_name or record.external_id or record.title
    try:
        if not record.text.strip():
            raise DomainError("no text to index")
        meta = metadata_resolve(record.metadata)
        source_file = (
            services.SourceFile(record.file_name, record.file_data, record.file_format)
            if record.file_data is not None
            else None
        )
        with transaction.atomic():
            existing = None
            if record.external_id:
                existing = Document.objects.filter(
                    collection=collection, source=record.source, external_id=record.external_id
                ).first()
            if existing is None:
                meta.setdefault("status", default_status)
                document = services.document_create(
                    title=record.title,
                    text=record.text,
                    collection=collection,
                    owner=owner,
                    source=record.source,
                    external_id=record.external_id,
                    source_file=source_file,
                    hidden=record.hidden,
                    embed_async=embed_async,
                    **meta,
                )
                version = document.versions.get()
                return _stored(name, version, created=True)
            latest = existing.versions.order_by("-number").first()
            version = services.version_create(
                document=existing,
                text=record.text,
                title=record.title,
                author=owner,
                note="Imported",
                source_file=source_file,
                hidden=record.hidden,
                embed_async=embed_async,
            )
            meta.pop("status", None)
            meta.pop("slug", None)
            services.document_update(document=existing, **meta)
            return _stored(name, version, unchanged=latest is not None and version.pk == latest.pk)
    except (DomainError, ParseError) as exc:
        return IngestResult(name, False, error=str(exc))


def _stored(name: str, version: Any, *, created: bool = False, unchanged: bool = False) -> IngestResult:
    return IngestResult(
        name,
        True,
        version.document_id,
        version.pk,
        created=created,
        unchanged=unchanged,
        title=version.title,
        warnings=tuple(version.warnings),
    )


def file_record(
    name: str,
    data: bytes,
    *,
    content_type: str | None = None,
    metadata: dict[str, Any] | None = None,
    external_id: str = "",
) -> Record:
    """Parse an uploaded or imported file into a record (raises ParseError with a clear message)."""
    parsed = parse_document(
        name, data, content_type=content_type, max_bytes=settings.KNOWLEDGE_MAX_UPLOAD_BYTES
    )
    return Record(
        title=parsed.title,
        text=parsed.text,
        external_id=external_id or name,
        metadata=dict(metadata or {}),
        file_name=Path(name).name,
        file_data=data,
        file_format=parsed.format,
        hidden=parsed.hidden,
    )


def jsonl_records(path: Path, *, source: str = "import") -> Iterator[Record | IngestResult]:
    """Records of a JSONL file with `id, title, text` and optional metadata; a bad line yields a failure."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield IngestResult(where, False, error=f"not valid JSON ({exc.msg})")
                continue
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                yield IngestResult(where, False, error="each line needs an object with a text field")
                continue
            title = str(row.get("title") or "").strip() or str(row.get("id") or f"Document {number}")
            meta = {k: row[k] for k in METADATA_FIELDS if k in row}
            yield Record(
                title=title,
                text=row["text"],
                external_id=str(row.get("id") or ""),
                source=source,
                metadata=meta,
            )


def paths_expand(paths: list[Path]) -> Iterator[Path]:
    """Files under the given paths (folders recursively), supported types only, in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and (child.suffix.lower() in FORMATS or child.suffix.lower() == ".jsonl"):
                    yield child
        else:
            yield path


def record_ingest_for_user(
    record: Record, *, user: Any, roles: frozenset[str], owner: Any
) -> tuple[Document, bool]:
    """Store a record a staff member sent over the API; returns the document and whether it is new.

    When the live knowledge base holds the record's source and external id already, that document gets a new
    version if its text changed (`owner` is then not changed); a document the caller may not read is
    refused with InUse, naming nothing. Otherwise a new document is created, a draft unless the record's
    metadata says otherwise, given to `owner`; both or neither."""
    same_key = Document.objects.filter(source=record.source, external_id=record.external_id, collection=LIVE)
    if record.external_id and same_key.exists():
        # A document the caller may not read is not theirs to change, nor to describe.
        if not documents_for_user(roles=roles).filter(pk__in=same_key).exists():
            raise InUse()
        return _ingested(record_ingest(record, owner=user)), False
    record.metadata.setdefault("status", Document.Status.DRAFT)
    with transaction.atomic():
        document = _ingested(record_ingest(record, owner=user))
        if owner != user:
            services.document_update(document=document, owner=owner)
    return document, True


def files_ingest(
    files: Iterable[tuple[str, bytes, str | None]], *, metadata: dict[str, Any], owner: Any
) -> list[IngestResult]:
    """Store uploaded files (name, data, content type), each as a new document or a new version of the
    upload with the same name, drafts unless `metadata` says otherwise. A file that cannot be parsed is
    reported and stores nothing; the others are kept. One result per file, in order."""
    metadata = {"status": Document.Status.DRAFT, **metadata}
    results = []
    for name, data, content_type in files:
        try:
            record = file_record(name, data, content_type=content_type, metadata=metadata, external_id="")
            record.source = "upload"
            results.append(record_ingest(record, owner=owner))
        except ParseError as exc:
            results.append(IngestResult(name, False, error=str(exc)))
    return results


def _ingested(result: IngestResult) -> Document:
    if not result.ok or result.document_id is None:
        raise DomainError(result.error or "The document could not be stored.")
    return Document.objects.get(pk=result.document_id)
