"""What every knowledge view shares: the scopes it needs, the caller's roles, and how a version's warnings
are written out."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request

from support.core import roles

from ..models import DocumentVersion

LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


def caller_roles(request: Request) -> frozenset[str]:
    return roles.user_roles(request.user)


class KnowledgeScoped:
    read_scope = roles.KNOWLEDGE_READ
    write_scope = roles.KNOWLEDGE_WRITE


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
