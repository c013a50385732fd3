"""Documents over the API: the list a caller may read (with each one's indexing state), creating one from
JSON text, reading one, and changing its metadata and status."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from support.core import roles
from support.core.errors import DomainError
from support.core.fields import InputSerializer
from support.core.filters import FilterSet

from .. import ingest, selectors, services
from ..models import Document, DocumentVersion
from .common import LANGUAGE_TAG, KnowledgeScoped, WarningOutput, caller_roles


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


class DocumentUpdateInput(InputSerializer):
    """A document's metadata; every field optional. Products, plans and organizations are codes/slugs."""

    kind = serializers.ChoiceField(choices=Document.Kind.choices, required=False)
    status = serializers.ChoiceField(
        choices=Document.Status.choices,
        required=False,
        help_text="published to publish, archived to archive, draft to restore.",
    )
    language = serializers.RegexField(
        LANGUAGE_TAG,
        max_length=ingest.LANGUAGE_MAX_CHARS,
        required=False,
        help_text="A language tag (en, de, pt-BR), kept as given. Left out of a new document, it is detected "
        "from the text (en when too short to tell). Keyword search analyses the document in its language.",
    )
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


def _with_versions(queryset: Any) -> Any:
    return queryset.select_related("owner").prefetch_related(
        "products",
        "audience_plans",
        "audience_organizations",
        # A list needs each version's state and number, never its text (which can be megabytes).
        Prefetch("versions", queryset=DocumentVersion.objects.defer("text").order_by("-number")),
    )


class DocumentListApi(KnowledgeScoped, generics.ListAPIView):
    """Documents the caller may read, with each one's indexing state. POST creates one from JSON text."""

    serializer_class = DocumentOutput
    filterset_class = DocumentFilter
    search_fields = ["title", "slug"]
    ordering_fields = ["title", "updated_at", "created_at"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        return _with_versions(selectors.documents_for_user(roles=caller_roles(self.request)))

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
        document, created = ingest.record_ingest_for_user(
            record, user=request.user, roles=caller_roles(request), owner=owner
        )
        return Response(
            DocumentOutput(_with_versions(Document.objects).get(pk=document.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DocumentDetailApi(KnowledgeScoped, generics.RetrieveAPIView):
    serializer_class = DocumentOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        return _with_versions(selectors.documents_for_user(roles=caller_roles(self.request)))

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
        services.document_update_with_status(document=document, status=new_status, **changes)
        return Response(DocumentOutput(self.get_queryset().get(pk=document.pk)).data)
