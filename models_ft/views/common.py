"""What every view of the fine-tuning API shares: administrators only, who asked, and the schema of a
settings column."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from support.core import roles


# No docstring: views without one of their own would describe themselves with it in the schema.
class AdminOnly:
    read_scope = roles.ADMIN
    write_scope = roles.ADMIN


@extend_schema_field({"type": "object", "additionalProperties": True})
class SettingsField(serializers.JSONField):
    pass


def username(request: Request) -> str:
    return str(request.user.get_username())
