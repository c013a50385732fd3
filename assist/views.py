"""The agent console over the API: knowledge search for hit testing, and drafts (ask, read, stream, send,
judge, audit).

Search lives on the support side because it needs the customer (plan, organization) and the caller's
rights, and reaches the knowledge base only through `knowledge.api`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, get_args

from django.http import Http404, StreamingHttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from knowledge import api
from support.core import roles
from support.core.errors import DomainError
from support.core.fields import TEXT_INPUT, InputSerializer
from support.core.jsonbody import JSONParser
from support.tickets.models import Ticket
from support.tickets.selectors import customer_list_for_user, ticket_scope_for_user

from . import precedents, services, streams
from .contracts import FLAG_KINDS
from .models import Suggestion
from .scope import retrieval_scope
from .selectors import suggestion_list_for_user


def _roles(request: Request) -> frozenset[str]:
    return roles.user_roles(request.user)


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
        staff_roles = _roles(request)
        if fields.get("role"):
            if fields["role"] not in staff_roles and roles.ADMINISTRATOR not in staff_roles:
                raise DomainError("You can only search with a role you hold.", field="role", status_code=403)
            staff_roles = frozenset({fields["role"]})
        customer = None
        if fields.get("customer"):
            customer = customer_list_for_user(user=request.user).filter(pk=fields["customer"]).first()
            if customer is None:
                raise DomainError("Unknown customer.", field="customer", status_code=400)
        scope = retrieval_scope(
            staff_roles=staff_roles,
            customer=customer,
            products=fields.get("products", ()),
            language=fields.get("language"),
        )
        found = api.retrieve_with_status(
            fields["query"],
            scope=scope,
            k=fields["k"],
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


# --- drafts ----------------------------------------------------------------------------------------------


class CitationOutput(serializers.Serializer):
    marker = serializers.IntegerField()
    document_id = serializers.IntegerField()
    version_id = serializers.IntegerField()
    chunk_id = serializers.IntegerField()
    title = serializers.CharField()
    heading = serializers.CharField(allow_blank=True)
    quote = serializers.CharField(allow_blank=True)


class FlagOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FLAG_KINDS)
    text = serializers.CharField()
    marker = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(default="", help_text="What happened and why, in words for the agent.")


class PassageOutput(serializers.Serializer):
    marker = serializers.IntegerField()
    chunk_id = serializers.IntegerField()
    version_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    title = serializers.CharField()
    heading = serializers.CharField(allow_blank=True)


class SuggestionOutput(serializers.ModelSerializer):
    stale = serializers.BooleanField(
        read_only=True, default=False, help_text="The customer wrote after this draft was asked for."
    )
    citations = CitationOutput(many=True, read_only=True)
    flags = FlagOutput(many=True, read_only=True, help_text="What the agent should check before sending.")
    passages = PassageOutput(many=True, read_only=True, help_text="Everything retrieved for this draft.")
    timings = serializers.DictField(child=serializers.FloatField(), read_only=True, help_text="Milliseconds.")
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "ticket",
            "status",
            "stale",
            "error",
            "text",
            "citations",
            "flags",
            "agent_note",
            "passages",
            "backend",
            "model",
            "adapter",
            "retrieval_query",
            "vector_search",
            "timings",
            "requested_by",
            "created_at",
            "finished_at",
            "sent_at",
            "outcome",
            "edit_distance",
            "example_id",
            "rating",
            "feedback_reason",
        ]


class AuditOutput(SuggestionOutput):
    prompt_messages = serializers.ListField(child=serializers.DictField(), read_only=True)
    sent_by = serializers.CharField(source="sent_by.username", default=None, read_only=True, allow_null=True)

    class Meta(SuggestionOutput.Meta):
        fields = [*SuggestionOutput.Meta.fields, "prompt_messages", "raw_text", "sent_text", "sent_by"]


class _Assist:
    read_scope = roles.ASSIST
    write_scope = roles.ASSIST


def _visible_ticket(request: Request, pk: int) -> Ticket:
    ticket = ticket_scope_for_user(user=request.user).filter(pk=pk).first()
    if ticket is None:
        raise Http404
    return ticket


def _visible_suggestion(request: Request, pk: int) -> Suggestion:
    suggestion = suggestion_list_for_user(user=request.user).filter(pk=pk).first()
    if suggestion is None:
        raise Http404
    if suggestion.status == Suggestion.Status.PENDING and services.suggestions_expire(
        ticket_id=suggestion.ticket_id
    ):
        # No worker started it in time: read it again as failed.
        suggestion = suggestion_list_for_user(user=request.user).get(pk=pk)
    return suggestion


MAX_WAIT_SECONDS = 60


class TicketSuggestionListApi(_Assist, generics.ListAPIView):
    """Drafts of a ticket, newest first. POST asks for a new one: 202 with the pending draft, generated on
    the `inference` workers. `?wait=N` (seconds, at most 60) waits for it and answers 200 with the finished
    (or failed) draft, or 202 if it is still running when the time is up."""

    serializer_class = SuggestionOutput
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        ticket = _visible_ticket(self.request, self.kwargs["pk"])
        services.suggestions_expire(ticket_id=ticket.pk)
        return suggestion_list_for_user(user=self.request.user).filter(ticket=ticket)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "wait",
                {"type": "number", "minimum": 0, "maximum": 60},
                description="Seconds to wait for the draft (0-60).",
            )
        ],
        request=None,
        responses={202: SuggestionOutput, 200: SuggestionOutput},
    )
    def post(self, request: Request, pk: int) -> Response:
        wait = _wait_seconds(request)
        return draft_response(request, _visible_ticket(request, pk), wait=wait)


def draft_response(request: Request, ticket: Ticket, *, wait: float | None = None) -> Response:
    """Ask for a draft of `ticket` (one the caller may see) and answer as POST .../suggestions does: 202 with
    the pending draft, or, with `?wait=N`, 200 with the finished one (202 if still running after N s)."""
    wait = _wait_seconds(request) if wait is None else wait
    suggestion = services.suggestion_request(ticket=ticket, user=request.user)
    if not wait:
        # Just created, so pending and not stale: no need to read it back.
        return Response(SuggestionOutput(suggestion).data, status=status.HTTP_202_ACCEPTED)
    streams.finished_wait(suggestion.pk, wait)
    found = _visible_suggestion(request, suggestion.pk)
    finished = found.status in (Suggestion.Status.READY, Suggestion.Status.FAILED)
    return Response(
        SuggestionOutput(found).data,
        status=status.HTTP_200_OK if finished else status.HTTP_202_ACCEPTED,
    )


def _wait_seconds(request: Request) -> float:
    raw = request.query_params.get("wait", "0")
    try:
        wait = float(raw)
    except ValueError:
        raise DomainError("wait must be a number of seconds.", field="wait") from None
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise DomainError(f"wait must be between 0 and {MAX_WAIT_SECONDS} seconds.", field="wait")
    return wait


class SuggestionDetailApi(_Assist, APIView):
    @extend_schema(responses=SuggestionOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SuggestionOutput(_visible_suggestion(request, pk)).data)


class EventStreamRenderer(BaseRenderer):
    media_type = "text/event-stream"
    format = "sse"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


STREAM_SECONDS = 120


class SuggestionStreamApi(_Assist, APIView):
    """The draft as server-sent events: `token` events with text as it is generated, then one `done`
    (the checked draft, its citations and flags) or `error` (why there is no draft). A reader that connects
    late gets every event from the start."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        # An error is a JSON body, even for a client that asked for the event stream.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Last-Event-ID",
                str,
                OpenApiParameter.HEADER,
                description="Resume after this event (browsers send it when they reconnect).",
            )
        ],
        # Each event of the stream, as its `event`, `data` (JSON) and `id` lines give it.
        responses={
            (200, "text/event-stream"): {
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": {"type": "string", "enum": ["token", "done", "error"]},
                    "data": {
                        "type": "string",
                        "description": 'JSON. token: {"text": ...}, the next piece of the draft; done: '
                        '{"text", "citations", "flags"}, the checked draft; error: {"message"}, why there is '
                        "none.",
                    },
                    "id": {"type": "string", "description": "Send it back as Last-Event-ID to resume."},
                },
            }
        },
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        suggestion = _visible_suggestion(request, pk)
        resume = request.headers.get("Last-Event-ID", "").strip()
        after = resume if streams.event_id_valid(resume) else streams.START
        response = StreamingHttpResponse(_events(suggestion, after), content_type="text/event-stream")
        response["Cache-Control"] = "no-store"
        response["X-Accel-Buffering"] = "no"  # a proxy must not hold the stream back
        return response


def _sse(event: str, data: dict[str, Any], event_id: str = "") -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode()


# While no event comes, the reader checks the draft's row this often (a draft failed before its first
# event, or one whose events expired) and sends a comment line that keeps proxies from closing the stream.
IDLE_CHECK_SECONDS = 2.0


def _events(suggestion: Suggestion, after: str = streams.START) -> Iterator[bytes]:
    if suggestion.status == Suggestion.Status.READY and after == streams.START:
        yield _sse("done", _done_data(suggestion))
        return
    if suggestion.status == Suggestion.Status.FAILED and after == streams.START:
        yield _sse("error", {"message": suggestion.error})
        return
    deadline = time.monotonic() + STREAM_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        events = streams.events_after(suggestion.pk, after, block_seconds=min(left, IDLE_CHECK_SECONDS))
        for event in events:
            yield _sse(event.event, event.data, event.id)
            if event.terminal:
                return
        if events:
            after = events[-1].id
            continue
        current = Suggestion.objects.filter(pk=suggestion.pk).first()
        if current is None or current.status == Suggestion.Status.FAILED:
            yield _sse("error", {"message": current.error if current else "The draft was deleted."})
            return
        if current.status == Suggestion.Status.READY:
            # Finished, but its events are gone (expired): the stored draft says the same.
            yield _sse("done", _done_data(current))
            return
        yield b": waiting\n\n"
    yield _sse("error", {"message": "The draft is taking too long; reload it later."})


def _done_data(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "text": suggestion.text,
        "citations": suggestion.citations,
        "flags": suggestion.flags,
        "agent_note": suggestion.agent_note,
    }


class SendInput(InputSerializer):
    text = serializers.CharField(max_length=services.MAX_REPLY_CHARS, trim_whitespace=False)
    external_id = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="For a reply sent from another ticketing tool: its message id there. The reply is recorded "
        "once, whether this report or that tool's message.added event arrives first.",
    )


class SuggestionSendApi(_Assist, APIView):
    """Post the agent's final reply to the ticket (as a public agent message) and record the outcome:
    accepted (as drafted), edited or rewritten, with the edit distance in words."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=SendInput,
        examples=[
            OpenApiExample(
                "Sent from another ticketing tool",
                request_only=True,
                value={"text": "Hi Dana, your refund is on its way.", "external_id": "ZM-9"},
            )
        ],
        responses={
            200: SuggestionOutput,
            409: OpenApiResponse(description="The draft is not finished yet, or was sent already"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        suggestion = _visible_suggestion(request, pk)
        data = SendInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.suggestion_send(suggestion=suggestion, user=request.user, **data.validated_data)
        return Response(SuggestionOutput(_visible_suggestion(request, pk)).data)


class FeedbackInput(InputSerializer):
    rating = serializers.ChoiceField(choices=Suggestion.Rating.values)
    reason = serializers.CharField(
        max_length=services.MAX_FEEDBACK_CHARS, required=False, allow_blank=True, default=""
    )


class SuggestionFeedbackApi(_Assist, APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=FeedbackInput, responses=SuggestionOutput)
    def post(self, request: Request, pk: int) -> Response:
        suggestion = _visible_suggestion(request, pk)
        data = FeedbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.suggestion_feedback(suggestion=suggestion, **data.validated_data)
        return Response(SuggestionOutput(_visible_suggestion(request, pk)).data)


class GenerationAuditApi(generics.ListAPIView):
    """Every draft generation, newest first, with who asked, the exact prompt messages, the retrieved chunk
    and version ids, backend, adapter, timings and outcome. Administrators only."""

    read_scope = roles.ADMIN
    serializer_class = AuditOutput
    filterset_fields = ["ticket", "status", "backend", "outcome", "requested_by"]
    search_fields: list[str] = []
    ordering_fields = ["created_at"]

    def get_queryset(self) -> Any:
        return Suggestion.objects.select_related("requested_by", "sent_by")


class PrecedentOutput(serializers.Serializer):
    id = serializers.IntegerField(source="ticket.id")
    subject = serializers.CharField(source="ticket.subject")
    status = serializers.CharField(source="ticket.status")
    resolution = serializers.CharField(source="ticket.resolution", allow_blank=True)
    solved_at = serializers.DateTimeField(source="ticket.solved_at", allow_null=True)
    similarity = serializers.FloatField()
    reply = serializers.CharField(
        allow_blank=True, help_text="The last public reply, at most 500 characters."
    )


class PrecedentsOutput(serializers.Serializer):
    notice = serializers.CharField(allow_null=True)
    results = PrecedentOutput(many=True)


class TicketPrecedentsApi(_Assist, APIView):
    """Solved tickets (that the caller may see) closest to this one by the embedding of their conversation,
    best first. When no embedding worker answers in time the list is empty and `notice` says why."""

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description="How many (1-20, default 5).")],
        responses=PrecedentsOutput,
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = _visible_ticket(request, pk)
        try:
            limit = int(request.query_params.get("limit", "5"))
        except ValueError:
            raise DomainError("limit must be a whole number.", field="limit") from None
        if not 1 <= limit <= 20:
            raise DomainError("limit must be between 1 and 20.", field="limit")
        found, notice = precedents.precedents_for(ticket=ticket, user=request.user, limit=limit)
        return Response({"notice": notice or None, "results": PrecedentOutput(found, many=True).data})
