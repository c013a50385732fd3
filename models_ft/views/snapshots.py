"""Dataset snapshots: the list, and building one from the examples now."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from support.core.errors import DomainError

from ..datasets import DatasetError, snapshot_build
from ..models import DatasetSnapshot
from .common import AdminOnly, SettingsField


# The JSON columns are served as stored; these describe their shape in the schema (every key optional: an
# empty object is a valid value of each).
class _Counts(serializers.DictField):
    child = serializers.IntegerField()


class SnapshotReplyChars(serializers.Serializer):
    mean = serializers.FloatField(required=False)
    median = serializers.FloatField(required=False)
    max = serializers.IntegerField(required=False)


class SnapshotStats(serializers.Serializer):
    examples = serializers.IntegerField(required=False, help_text="Examples considered.")
    kept = serializers.IntegerField(required=False, help_text="Examples left after filtering.")
    left_out = _Counts(required=False, help_text="Examples left out, by why: rejected, too_short, stale...")
    train = serializers.IntegerField(required=False)
    eval = serializers.IntegerField(required=False)
    preference = serializers.IntegerField(required=False)
    outcomes = _Counts(required=False, help_text="Kept examples by outcome: accepted, edited, rewritten...")
    backfilled = serializers.IntegerField(required=False)
    eval_from = serializers.DateTimeField(required=False, allow_null=True)
    reply_chars = SnapshotReplyChars(required=False)
    redacted = _Counts(required=False, help_text="Placeholders the redaction put in, by kind.")


@extend_schema_field(SnapshotStats)
class _StatsField(serializers.JSONField):
    pass


class SnapshotOutput(serializers.ModelSerializer):
    stats = _StatsField(read_only=True, help_text="What was kept, what was left out and why, lengths.")
    config = SettingsField(read_only=True, help_text="The filters and split it was built with.")

    class Meta:
        model = DatasetSnapshot
        fields = [
            "id",
            "content_hash",
            "folder",
            "train_count",
            "eval_count",
            "preference_count",
            "stats",
            "config",
            "newest_example_at",
            "withdrawn_at",
            "created_at",
        ]


class SnapshotListApi(AdminOnly, generics.ListAPIView):
    """Dataset snapshots, newest first. POST builds one from the examples now (200 with the existing one when
    nothing changed, 201 when new)."""

    serializer_class = SnapshotOutput
    queryset = DatasetSnapshot.objects.all()
    filter_backends: list[Any] = []

    @extend_schema(request=None, responses={201: SnapshotOutput, 200: SnapshotOutput})
    def post(self, request: Request) -> Response:
        try:
            snapshot, created = snapshot_build()
        except DatasetError as exc:
            raise DomainError(str(exc), code="dataset") from exc
        return Response(
            SnapshotOutput(snapshot).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
