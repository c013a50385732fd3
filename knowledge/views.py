"""Knowledge base over the API: documents, versions, uploads, and search ("hit testing") with scores."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.errors import DomainError, InUse
from support.core.fields import InputSerializer
from support.core.filters import FilterSet
from support.core.permissions import request_scopes

from . import ingest, selectors, services
from .models import Document, DocumentVersion
from .parsing import ParseError


def _roles(request: Request) -> frozenset[str]:
    return roles.user_roles(request.user)


class WarningOutput(serializers.Serializer):
    """Something in a version the knowledge admin should look at before it is published."""

    kind = serializers.ChoiceField(
        choices=DocumentVersion.WarningKind.choices,
        help_text="hidden_content: text readers do not see (comments, hidden elements, invisible characters, "
        "off-page or hidden text in a file), left out of search and drafts; planted_instruction: a sentence "
        "written to instruct the assistant.",
    )
    detail = serializers.CharField(help_text="What and where, in words.")
    text = serializers.CharField(help_text="The hidden or planted text itself, as written (plain text).")
    score = serializers.FloatField(
        allow_null=True, help_text="How sure the planted-instruction detector is (0-1); null otherwise."
    )


class VersionOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, read_only=True, allow_null=True)
    source_file = serializers.SerializerMethodField()
    warnings = WarningOutput(many=True, read_only=True)

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "number",
            "title",
            "content_hash",
            "author",
            "note",
            "created_at",
            "state",
            "chunks_total",
            "chunks_embedded",
            "last_error",
            "activated_at",
            "source_name",
            "source_format",
            "source_file",
            "warnings",
        ]

    def get_source_file(self, version: DocumentVersion) -> str | None:
        return version.source_file.url if version.source_file else None


class VersionDetailOutput(VersionOutput):
    class Meta(VersionOutput.Meta):
        fields = [*VersionOutput.Meta.fields, "text"]


class IndexingOutput(serializers.Serializer):
    """How far the newest version's indexing has got."""

    version = serializers.IntegerField(allow_null=True, help_text="The newest version's number.")
    # A plain string in the schema: an enum named after `state` would collide with the version state's.
    state = serializers.CharField(
        help_text="empty (no version yet), queued, embedding (embedded of total chunks), active, superseded, "
        "or failed (see error).",
    )
    embedded = serializers.IntegerField(help_text="Chunks with a vector so far.")
    total = serializers.IntegerField(help_text="Chunks in all.")
    error = serializers.CharField(allow_null=True, help_text="Why indexing failed; null otherwise.")


class DocumentOutput(serializers.ModelSerializer):
    products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    audience_plans = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    audience_organizations = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, read_only=True, allow_null=True)
    active_version = serializers.IntegerField(source="active_version_id", read_only=True, allow_null=True)
    active_version_number = serializers.SerializerMethodField(
        help_text="The number of the version search serves; null until one is indexed."
    )
    latest_version = serializers.SerializerMethodField(help_text="The newest version's number.")
    indexing = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField(help_text="The newest version's warnings.")
    active_version_warnings = serializers.SerializerMethodField(
        help_text="How many warnings the version search serves carries (0 when none is served)."
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "slug",
            "kind",
            "status",
            "language",
            "audience",
            "audience_plans",
            "audience_organizations",
            "audience_roles",
            "products",
            "valid_from",
            "valid_until",
            "owner",
            "active_version",
            "active_version_number",
            "latest_version",
            "indexing",
            "warnings",
            "active_version_warnings",
            "source",
            "external_id",
            "created_at",
            "updated_at",
        ]

    # `versions` is prefetched newest first (see `_with_versions`): these read it, never the database.
    def get_active_version_number(self, document: Document) -> int | None:
        found = [v.number for v in document.versions.all() if v.pk == document.active_version_id]
        return found[0] if found else None

    def get_latest_version(self, document: Document) -> int | None:
        versions = document.versions.all()
        return versions[0].number if versions else None

    @extend_schema_field(WarningOutput(many=True))
    def get_warnings(self, document: Document) -> list[dict[str, Any]]:
        versions = document.versions.all()
        return WarningOutput(versions[0].warnings, many=True).data if versions else []

    def get_active_version_warnings(self, document: Document) -> int:
        found = [len(v.warnings) for v in document.versions.all() if v.pk == document.active_version_id]
        return found[0] if found else 0

    @extend_schema_field(IndexingOutput)
    def get_indexing(self, document: Document) -> dict[str, Any]:
        """The newest version's indexing state: queued, embedding (n of m), active, or failed with why."""
        latest = document.versions.all()[0] if document.versions.all() else None
        if latest is None:
            return {"version": None, "state": "empty", "embedded": 0, "total": 0, "error": None}
        return {
            "version": latest.number,
            "state": latest.state,
            "embedded": latest.chunks_embedded,
            "total": latest.chunks_total,
            "error": latest.last_error or None,
        }


LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class DocumentUpdateInput(InputSerializer):
    """A document's metadata; every field optional. Products, plans and organizations are codes/slugs."""

    kind = serializers.ChoiceField(choices=Document.Kind.choices, required=False)
    status = serializers.ChoiceField(
        choices=Document.Status.choices,
        required=False,
        help_text="published to publish, archived to archive, draft to restore.",
    )
    language = serializers.RegexField(LANGUAGE_TAG, max_length=ingest.LANGUAGE_MAX_CHARS, required=False)
    audience = serializers.ChoiceField(choices=Document.Audience.choices, required=False)
    products = serializers.ListField(child=serializers.SlugField(), required=False, max_length=100)
    plans = serializers.ListField(child=serializers.SlugField(), required=False, max_length=20)
    organizations = serializers.ListField(child=serializers.SlugField(), required=False, max_length=500)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=roles.ROLES), required=False)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    owner = serializers.CharField(
        max_length=150,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Username of a knowledge admin or administrator; null or empty for none.",
    )


class DocumentInput(DocumentUpdateInput):
    """A new document from JSON text, with the same optional metadata."""

    title = serializers.CharField(max_length=300)
    text = serializers.CharField(max_length=2_000_000, trim_whitespace=False)
    slug = serializers.SlugField(max_length=200, required=False)
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source = serializers.SlugField(max_length=40, required=False)


class VersionInput(InputSerializer):
    text = serializers.CharField(max_length=2_000_000, trim_whitespace=False)
    title = serializers.CharField(max_length=300, required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DocumentFilter(FilterSet):
    product = django_filters.CharFilter(field_name="products__code", distinct=True)
    has_warnings = django_filters.BooleanFilter(
        method="filter_has_warnings",
        help_text="true: documents whose newest version, or the one search serves, carries warnings; "
        "false: the others.",
    )
    state = django_filters.ChoiceFilter(
        choices=DocumentVersion.State.choices,
        method="filter_state",
        help_text="Indexing state of the newest version (what `indexing.state` shows).",
    )

    class Meta:
        model = Document
        fields = [
            "kind",
            "status",
            "audience",
            "language",
            "product",
            "state",
            "has_warnings",
            "source",
            "external_id",
        ]

    def filter_state(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.annotate(latest_state=selectors.document_latest_state()).filter(latest_state=value)

    def filter_has_warnings(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        return queryset.annotate(flagged=selectors.document_has_warnings()).filter(flagged=value)


def _metadata(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ingest.METADATA_FIELDS if k in data}


def _owner(username: str | None) -> Any:
    """The user a document is given to, by username; None clears the owner."""
    if not username:
        return None
    user = selectors.owner_candidates().filter(username=username).first()
    if user is None:
        raise DomainError(
            f"No knowledge admin or administrator is called {username!r}.", field="owner", code="invalid"
        )
    return user


def _ingested(result: ingest.IngestResult) -> Document:
    if not result.ok or result.document_id is None:
        raise DomainError(result.error or "The document could not be stored.")
    return Document.objects.get(pk=result.document_id)


class _KnowledgeScoped:
    read_scope = roles.KNOWLEDGE_READ
    write_scope = roles.KNOWLEDGE_WRITE


def _with_versions(queryset: Any) -> Any:
    return queryset.select_related("owner").prefetch_related(
        "products",
        "audience_plans",
        "audience_organizations",
        # A list needs each version's state and number, never its text (which can be megabytes).
        Prefetch("versions", queryset=DocumentVersion.objects.defer("text").order_by("-number")),
    )


class DocumentListApi(_KnowledgeScoped, generics.ListAPIView):
    """Documents the caller may read, with each one's indexing state. POST creates one from JSON text."""

    serializer_class = DocumentOutput
    filterset_class = DocumentFilter
    search_fields = ["title", "slug"]
    ordering_fields = ["title", "updated_at", "created_at"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        return _with_versions(selectors.documents_for_user(roles=_roles(self.request)))

    @extend_schema(
        request=DocumentInput,
        responses={
            201: DocumentOutput,
            200: DocumentOutput,
            409: OpenApiResponse(
                description="Another document has this slug; or the source and external_id belong to a "
                "document you cannot read (always the same message, naming nothing)"
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = DocumentInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        owner = _owner(fields.pop("owner")) if "owner" in fields else request.user
        record = ingest.Record(
            title=fields.pop("title"),
            text=fields.pop("text"),
            external_id=fields.pop("external_id", ""),
            source=fields.pop("source", "api"),
            metadata=_metadata(fields),
        )
        same_key = Document.objects.filter(
            source=record.source, external_id=record.external_id, collection="live"
        )
        if record.external_id and same_key.exists():
            # A document the caller may not read is not theirs to change, nor to describe.
            if not selectors.documents_for_user(roles=_roles(request)).filter(pk__in=same_key).exists():
                raise InUse()
            document = _ingested(ingest.record_ingest(record, owner=request.user))
            return Response(DocumentOutput(_with_versions(Document.objects).get(pk=document.pk)).data)
        record.metadata.setdefault("status", Document.Status.DRAFT)
        with transaction.atomic():
            document = _ingested(ingest.record_ingest(record, owner=request.user))
            if owner != request.user:
                services.document_update(document=document, owner=owner)
        return Response(
            DocumentOutput(_with_versions(Document.objects).get(pk=document.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class UploadOutput(serializers.Serializer):
    name = serializers.CharField()
    ok = serializers.BooleanField()
    document_id = serializers.IntegerField(allow_null=True)
    version_id = serializers.IntegerField(allow_null=True)
    created = serializers.BooleanField()
    unchanged = serializers.BooleanField()
    error = serializers.CharField()
    title = serializers.CharField(help_text="The document's title; empty when the file was not stored.")
    warnings = WarningOutput(
        many=True, help_text="The stored version's warnings (hidden content, planted instructions)."
    )


MAX_UPLOAD_FILES = 50


class UploadInput(InputSerializer):
    """The metadata fields of an upload's form (text, as forms are); empty ones are left out."""

    kind = serializers.ChoiceField(choices=Document.Kind.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Document.Status.choices, required=False, allow_blank=True)
    audience = serializers.ChoiceField(choices=Document.Audience.choices, required=False, allow_blank=True)
    language = serializers.RegexField(
        LANGUAGE_TAG, max_length=ingest.LANGUAGE_MAX_CHARS, required=False, allow_blank=True
    )


class DocumentUploadApi(_KnowledgeScoped, APIView):
    """Upload one to 50 files (multipart field `files`); each gets its own result. A file that cannot be
    parsed is reported and stores nothing; the others are kept. 201 if any file was stored, else 400."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "kind": {"type": "string", "enum": Document.Kind.values},
                    "status": {"type": "string", "enum": Document.Status.values},
                    "audience": {"type": "string", "enum": Document.Audience.values},
                    "language": {
                        "type": "string",
                        "pattern": LANGUAGE_TAG,
                        "maxLength": ingest.LANGUAGE_MAX_CHARS,
                    },
                },
            }
        },
        # Error answers get no list treatment from the schema generator: the array is spelled out.
        responses={
            201: UploadOutput(many=True),
            400: OpenApiResponse(
                {
                    "oneOf": [
                        {"type": "array", "items": {"$ref": "#/components/schemas/UploadOutput"}},
                        {"$ref": "#/components/schemas/ErrorOutput"},
                    ]
                },
                description="No file could be stored: one result per file saying why; or the request "
                "itself was wrong (no file attached, more than 50 files, a metadata field that does not "
                "fit), in the common error body",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        files = request.FILES.getlist("files") or request.FILES.getlist("file")
        if not files:
            raise DomainError("Attach one or more files in the multipart field 'files'.", field="files")
        if len(files) > MAX_UPLOAD_FILES:
            raise DomainError(f"Upload at most {MAX_UPLOAD_FILES} files at once.", field="files")
        form = UploadInput(data=request.data)
        form.is_valid(raise_exception=True)
        meta = {k: v for k, v in form.validated_data.items() if v}
        meta.setdefault("status", Document.Status.DRAFT)
        results = []
        for upload in files:
            try:
                record = ingest.file_record(
                    upload.name,
                    upload.read(),
                    content_type=upload.content_type,
                    metadata=meta,
                    external_id="",
                )
                record.source = "upload"
                results.append(ingest.record_ingest(record, owner=request.user))
            except ParseError as exc:
                results.append(ingest.IngestResult(upload.name, False, error=str(exc)))
        body = UploadOutput(results, many=True).data
        return Response(body, status=201 if any(r.ok for r in results) else 400)


class DocumentDetailApi(_KnowledgeScoped, generics.RetrieveAPIView):
    serializer_class = DocumentOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        return _with_versions(selectors.documents_for_user(roles=_roles(self.request)))

    @extend_schema(
        request=DocumentUpdateInput,
        responses={200: DocumentOutput, 409: OpenApiResponse(description="Another document has this slug")},
    )
    def patch(self, request: Request, pk: int) -> Response:
        document = self.get_object()
        data = DocumentUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        new_status = fields.pop("status", None)
        changes = ingest.metadata_resolve(_metadata(fields))
        if "owner" in fields:
            changes["owner"] = _owner(fields["owner"])
        with transaction.atomic():
            services.document_update(document=document, **changes)
            if new_status:
                services.document_set_status(document=document, status=new_status)
        return Response(DocumentOutput(self.get_queryset().get(pk=document.pk)).data)


def _readable_document(request: Request, pk: int) -> Document:
    document = selectors.documents_for_user(roles=_roles(request)).filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


class VersionListApi(_KnowledgeScoped, generics.ListAPIView):
    """A document's versions, newest first. POST stores a new version (JSON text)."""

    serializer_class = VersionOutput
    pagination_class = None

    def _document(self) -> Document:
        return _readable_document(self.request, self.kwargs["pk"])

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return DocumentVersion.objects.none()
        return self._document().versions.select_related("author").order_by("-number")

    @extend_schema(request=VersionInput, responses={201: VersionOutput, 200: VersionOutput})
    def post(self, request: Request, pk: int) -> Response:
        document = self._document()
        data = VersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        before = document.versions.order_by("-number").values_list("pk", flat=True).first()
        version = services.version_create(document=document, author=request.user, **data.validated_data)
        return Response(VersionOutput(version).data, status=201 if version.pk != before else 200)


class VersionDetailApi(_KnowledgeScoped, generics.RetrieveAPIView):
    serializer_class = VersionDetailOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return DocumentVersion.objects.none()
        documents = selectors.documents_for_user(roles=_roles(self.request))
        return DocumentVersion.objects.filter(document__in=documents, document_id=self.kwargs["pk"])

    def get_object(self) -> DocumentVersion:
        from django.shortcuts import get_object_or_404

        return get_object_or_404(self.get_queryset(), number=self.kwargs["number"])


class RestoreInput(InputSerializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class VersionRestoreApi(_KnowledgeScoped, APIView):
    """Store an earlier version's title and text again as the newest version. 201 with the new version, or
    200 with the newest one when its text is already the same."""

    @extend_schema(request=RestoreInput, responses={201: VersionOutput, 200: VersionOutput})
    def post(self, request: Request, pk: int, number: int) -> Response:
        document = _readable_document(request, pk)
        if not isinstance(request.data, dict):
            raise DomainError("Send a JSON object.", field="non_field_errors")
        data = RestoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        before = document.versions.order_by("-number").values_list("pk", flat=True).first()
        version = services.version_restore(
            document=document, number=number, author=request.user, note=data.validated_data.get("note", "")
        )
        return Response(VersionOutput(version).data, status=201 if version.pk != before else 200)


class VersionRefOutput(serializers.ModelSerializer):
    document = serializers.IntegerField(source="document_id")

    class Meta:
        model = DocumentVersion
        fields = ["id", "document", "number", "title", "state"]


class VersionLookupInput(InputSerializer):
    id = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), min_length=1, max_length=100
    )


class VersionLookupApi(_KnowledgeScoped, APIView):
    """Versions by id (`?id=3&id=7`, at most 100): which document each belongs to and its number, for
    linking a search result or a citation to `/knowledge/{document}/versions/{number}`. Ids the caller may
    not read, or that do not exist, are left out."""

    @extend_schema(
        parameters=[OpenApiParameter("id", int, many=True, required=True, description="Version ids.")],
        responses=VersionRefOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        data = VersionLookupInput(data=request.query_params)  # text; `id` repeats
        data.is_valid(raise_exception=True)
        versions = selectors.version_lookup_for_user(roles=_roles(request), ids=data.validated_data["id"])
        return Response(VersionRefOutput(versions, many=True).data)


class OptionOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class OptionsOutput(serializers.Serializer):
    kinds = OptionOutput(many=True)
    statuses = OptionOutput(many=True)
    audiences = OptionOutput(many=True)
    states = OptionOutput(many=True)
    roles = OptionOutput(many=True, help_text="Staff roles an internal document can be shown to.")
    languages = serializers.ListField(child=serializers.CharField(), help_text="Languages in use.")
    products = OptionOutput(many=True, help_text="Products by code.")
    plans = OptionOutput(many=True, help_text="Plans by code, lowest tier first.")
    organizations = OptionOutput(many=True, help_text="Organizations by slug; empty without knowledge:write.")
    owners = OptionOutput(
        many=True, help_text="Who may own a document, by username; empty without knowledge:write."
    )


class OptionsApi(_KnowledgeScoped, APIView):
    """The values a document's metadata and a search's filters take, for forms: kinds, statuses, audiences,
    roles, languages, products and plans; for editors also organizations and possible owners."""

    @extend_schema(responses=OptionsOutput)
    def get(self, request: Request) -> Response:
        can_write = roles.KNOWLEDGE_WRITE in request_scopes(request)
        return Response(OptionsOutput(selectors.knowledge_options(can_write=can_write)).data)


class IndexStatusOutput(serializers.Serializer):
    active_model = serializers.CharField(help_text="The embedding model whose vectors search serves.")
    configured_model = serializers.CharField(help_text="EMBEDDING_MODEL; differs during a switch.")
    switch = serializers.DictField(
        allow_null=True,
        help_text="A model switch in progress: target model, texts embedded so far and in all.",
    )
    chunks = serializers.IntegerField(help_text="Chunks of live documents, every version.")
    chunks_waiting = serializers.IntegerField(help_text="Chunks still waiting for a vector.")
    versions = serializers.DictField(child=serializers.IntegerField(), help_text="Versions per state.")
    keyword_statistics_at = serializers.DateTimeField(
        allow_null=True, help_text="When the keyword statistics (BM25) were last recounted."
    )


class IndexStatusApi(_KnowledgeScoped, APIView):
    """The state of the live index: which embedding model search serves, a model switch's progress, and
    how much indexing work is waiting."""

    @extend_schema(responses=IndexStatusOutput)
    def get(self, request: Request) -> Response:
        return Response(IndexStatusOutput(selectors.index_status()).data)
