"""The state of the live index, and the values a document's metadata and a search's filters take."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.permissions import request_scopes

from .. import selectors
from .common import KnowledgeScoped


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


class OptionsApi(KnowledgeScoped, APIView):
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


class IndexStatusApi(KnowledgeScoped, APIView):
    """The state of the live index: which embedding model search serves, a model switch's progress, and
    how much indexing work is waiting."""

    @extend_schema(responses=IndexStatusOutput)
    def get(self, request: Request) -> Response:
        return Response(IndexStatusOutput(selectors.index_status()).data)
