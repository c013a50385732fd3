"""A document's versions over the API: list, store a new one, read one, restore an earlier one, and look
versions up by id."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core.errors import DomainError
from support.core.fields import InputSerializer

from .. import selectors, services
from ..models import Document, DocumentVersion
from .common import KnowledgeScoped, WarningOutput, caller_roles


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


class VersionInput(InputSerializer):
    text = serializers.CharField(max_length=2_000_000, trim_whitespace=False)
    title = serializers.CharField(max_length=300, required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


def _readable_document(request: Request, pk: int) -> Document:
    document = selectors.documents_for_user(roles=caller_roles(request)).filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


class VersionListApi(KnowledgeScoped, generics.ListAPIView):
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
        before = selectors.version_newest_id(document=document)
        version = services.version_create(document=document, author=request.user, **data.validated_data)
        return Response(VersionOutput(version).data, status=201 if version.pk != before else 200)


class VersionDetailApi(KnowledgeScoped, generics.RetrieveAPIView):
    serializer_class = VersionDetailOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return DocumentVersion.objects.none()
        return selectors.versions_for_user(roles=caller_roles(self.request), document_id=self.kwargs["pk"])

    def get_object(self) -> DocumentVersion:
        return get_object_or_404(self.get_queryset(), number=self.kwargs["number"])


class RestoreInput(InputSerializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class VersionRestoreApi(KnowledgeScoped, APIView):
    """Store an earlier version's title and text again as the newest version. 201 with the new version, or
    200 with the newest one when its text is already the same."""

    @extend_schema(request=RestoreInput, responses={201: VersionOutput, 200: VersionOutput})
    def post(self, request: Request, pk: int, number: int) -> Response:
        document = _readable_document(request, pk)
        if not isinstance(request.data, dict):
            raise DomainError("Send a JSON object.", field="non_field_errors")
        data = RestoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        before = selectors.version_newest_id(document=document)
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


class VersionLookupApi(KnowledgeScoped, APIView):
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
        ids = data.validated_data["id"]
        versions = selectors.version_lookup_for_user(roles=caller_roles(request), ids=ids)
        return Response(VersionRefOutput(versions, many=True).data)
