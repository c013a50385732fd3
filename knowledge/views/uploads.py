"""Files uploaded into the knowledge base: one result per file."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core.errors import DomainError
from support.core.fields import InputSerializer

from .. import ingest
from ..models import Document
from .common import LANGUAGE_TAG, KnowledgeScoped, WarningOutput


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
        LANGUAGE_TAG,
        max_length=ingest.LANGUAGE_MAX_CHARS,
        required=False,
        allow_blank=True,
        help_text="A language tag (en, de, pt-BR) for every file, kept as given; empty: each file's is "
        "detected from its text.",
    )


class DocumentUploadApi(KnowledgeScoped, APIView):
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
                        "description": "A language tag (en, de, pt-BR) for every file, kept as given; left "
                        "out, each file's is detected from its text.",
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
        # Read one file at a time, as each is stored.
        uploads = ((upload.name, upload.read(), upload.content_type) for upload in files)
        results = ingest.files_ingest(
            uploads, metadata={k: v for k, v in form.validated_data.items() if v}, owner=request.user
        )
        body = UploadOutput(results, many=True).data
        return Response(body, status=201 if any(r.ok for r in results) else 400)
