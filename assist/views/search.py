"""Knowledge search for hit testing, over the API.

Search lives on the console side because it needs the customer (plan, organization) and the caller's
rights, and reaches the knowledge base only through `knowledge.api`.
"""

from __future__ import annotations

from typing import Any, get_args

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from knowledge import api
from support.core import roles
from support.core.errors import DomainError
from support.core.fields import TEXT_INPUT, InputSerializer
from support.core.jsonbody import JSONParser

from ..relevance import judgment_record
from ..search import knowledge_search


class SearchInput(InputSerializer):
    query = serializers.CharField(max_length=4000)
    k = serializers.IntegerField(min_value=1, max_value=50, default=8)
    customer = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**62,
        help_text="Search as this customer: their plan and organization apply.",
    )
    role = serializers.ChoiceField(
        choices=roles.ROLES,
        required=False,
        help_text="Search with this staff role's rights (at most your own).",
    )
    products = serializers.ListField(child=serializers.SlugField(), required=False, max_length=20)
    language = serializers.CharField(max_length=12, required=False)
    max_per_document = serializers.IntegerField(required=False, min_value=1, max_value=50)


class SearchResultOutput(serializers.Serializer):
    chunk_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    version_id = serializers.IntegerField()
    document_title = serializers.CharField()
    document_slug = serializers.CharField()
    kind = serializers.CharField()
    heading_path = serializers.ListField(child=serializers.CharField())
    text = serializers.CharField()
    vector_score = serializers.FloatField(allow_null=True)
    keyword_score = serializers.FloatField(allow_null=True)
    fused_score = serializers.FloatField()
    vector_rank = serializers.IntegerField(allow_null=True)
    keyword_rank = serializers.IntegerField(allow_null=True)


class SearchOutput(serializers.Serializer):
    query = serializers.CharField()
    vector_search = serializers.ChoiceField(
        choices=list(get_args(api.VectorSearch)),
        help_text="used: results are ranked by vector and keyword match. unavailable: the query could not be "
        "embedded in time (no embedding worker answered), so results are ranked by keyword match only. "
        "off: vector search was not asked for.",
    )
    notice = serializers.CharField(
        allow_null=True, help_text="Why vector search did not take part, in words; null when it did."
    )
    results = SearchResultOutput(many=True)


class SearchApi(APIView):
    """Hit testing: the ranked chunks for a query, optionally as a given customer and role, with the vector,
    keyword and fused scores. GET takes the same fields as query parameters. When no embedding worker embeds
    the query in time the answer is still a 200, ranked by keywords, with `vector_search` "unavailable"."""

    read_scope = roles.KNOWLEDGE_READ
    write_scope = roles.KNOWLEDGE_READ
    parser_classes = [JSONParser]

    def _search(self, request: Request, data: dict[str, Any], *, text: bool = False) -> Response:
        serializer = SearchInput(data=data, context={TEXT_INPUT: text})
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        found = knowledge_search(
            user=request.user,
            query=fields["query"],
            k=fields["k"],
            role=fields.get("role"),
            customer_id=fields.get("customer"),
            products=fields.get("products", ()),
            language=fields.get("language"),
            max_per_document=fields.get("max_per_document"),
        )
        return Response(
            {
                "query": fields["query"],
                "vector_search": found.vector_search,
                "notice": found.notice or None,
                "results": SearchResultOutput(found.chunks, many=True).data,
            }
        )

    @extend_schema(parameters=[SearchInput], responses=SearchOutput)
    def get(self, request: Request) -> Response:
        data: dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "products"}
        if "products" in request.query_params:
            data["products"] = request.query_params.getlist("products")
        return self._search(request, data, text=True)

    @extend_schema(
        request=SearchInput,
        responses=SearchOutput,
        examples=[
            OpenApiExample(
                "As a customer on the enterprise plan",
                request_only=True,
                value={"query": "Can I get a refund on an annual plan?", "k": 5, "customer": 12},
            )
        ],
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise DomainError("Send a JSON object.", field="non_field_errors")
        return self._search(request, request.data)


class JudgmentInput(InputSerializer):
    query = serializers.CharField(max_length=4000, help_text="The question searched for.")
    chunk_id = serializers.IntegerField(min_value=1, max_value=2**62, help_text="The passage judged.")
    relevant = serializers.BooleanField(help_text="Whether the passage answers the question.")


class JudgmentOutput(serializers.Serializer):
    recorded = serializers.BooleanField(help_text="False when the same judgment was recorded before.")


class JudgmentApi(APIView):
    """Mark a search result as answering the question or not: a relevance pair the retriever learns from
    (the question is redacted first). Knowledge admins and administrators."""

    read_scope = roles.KNOWLEDGE_WRITE
    write_scope = roles.KNOWLEDGE_WRITE
    parser_classes = [JSONParser]

    @extend_schema(request=JudgmentInput, responses={201: JudgmentOutput})
    def post(self, request: Request) -> Response:
        data = JudgmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        recorded = judgment_record(
            query=data.validated_data["query"],
            chunk_id=data.validated_data["chunk_id"],
            relevant=data.validated_data["relevant"],
            user=request.user,
        )
        return Response({"recorded": recorded}, status=201)
