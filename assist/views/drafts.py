"""Drafts over the API: ask for one (by ticket, or by a ticketing tool's own ticket id), read, check, send and
judge it, and the audit of every generation."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.errors import DomainError, error_body
from support.core.fields import InputSerializer
from support.core.jsonbody import JSONParser
from support.tickets.models import Ticket
from support.tickets.selectors import ticket_scope_for_user

from .. import services, streams
from ..contracts import FLAG_KINDS
from ..models import Suggestion
from ..selectors import suggestion_list_for_user, suggestions_policy_updates
from .access import AssistScoped, visible_suggestion, visible_ticket


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


class DraftPrecedentOutput(serializers.Serializer):
    """A similar solved ticket a draft was given: its id and how close it is. Not its subject or reply: a
    reader of the draft need not be one who may see that ticket (its page answers them 404)."""

    ticket_id = serializers.IntegerField(allow_null=True, default=None)
    similarity = serializers.FloatField(default=0.0, help_text="0-1: how close its conversation is.")
    used = serializers.BooleanField(default=False, help_text="The draft was composed from its reply.")


CUSTOMER_WROTE = "The customer wrote after this draft was made: it may not answer the latest message."


class SuggestionListOutput(serializers.ListSerializer):
    """Drafts, with which of them cite a policy that has a newer version now, looked up once for the page."""

    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if hasattr(data, "all") else data)
        self.child.context["policy_updates"] = suggestions_policy_updates(items)
        return [self.child.to_representation(item) for item in items]


class SuggestionOutput(serializers.ModelSerializer):
    stale = serializers.BooleanField(
        read_only=True,
        default=False,
        help_text="The customer wrote after this draft was asked for, or a document it cites has a newer "
        "version now.",
    )
    stale_reason = serializers.CharField(
        read_only=True, default="", help_text="Why the draft is stale, in words for the agent; empty if not."
    )
    citations = CitationOutput(many=True, read_only=True)
    flags = FlagOutput(many=True, read_only=True, help_text="What the agent should check before sending.")
    passages = PassageOutput(many=True, read_only=True, help_text="Everything retrieved for this draft.")
    precedents = DraftPrecedentOutput(
        many=True, read_only=True, help_text="The similar solved tickets the draft was given, closest first."
    )
    sent_flags = FlagOutput(
        many=True, read_only=True, help_text="What was still flagged in the reply as it was sent."
    )
    timings = serializers.DictField(child=serializers.FloatField(), read_only=True, help_text="Milliseconds.")
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Suggestion
        list_serializer_class = SuggestionListOutput
        fields = [
            "id",
            "ticket",
            "status",
            "stale",
            "stale_reason",
            "error",
            "text",
            "citations",
            "flags",
            "agent_note",
            "passages",
            "precedents",
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
            "sent_flags",
            "flags_confirmed",
            "example_id",
            "rating",
            "feedback_reason",
        ]

    def to_representation(self, instance: Suggestion) -> dict[str, Any]:
        data = super().to_representation(instance)
        updates = self.context.get("policy_updates")
        if updates is None:
            updates = suggestions_policy_updates([instance])
        reasons = [CUSTOMER_WROTE] if getattr(instance, "stale", False) else []
        if titles := updates.get(instance.pk):
            reasons.append(f"Policy updated since this draft: {', '.join(titles)}.")
        data["stale"] = bool(reasons)
        data["stale_reason"] = " ".join(reasons)
        return data


class AuditOutput(SuggestionOutput):
    prompt_messages = serializers.ListField(child=serializers.DictField(), read_only=True)
    sent_by = serializers.CharField(source="sent_by.username", default=None, read_only=True, allow_null=True)

    class Meta(SuggestionOutput.Meta):
        fields = [*SuggestionOutput.Meta.fields, "prompt_messages", "raw_text", "sent_text", "sent_by"]


MAX_WAIT_SECONDS = 60


class TicketSuggestionListApi(AssistScoped, generics.ListAPIView):
    """Drafts of a ticket, newest first. POST asks for a new one: 202 with the pending draft, generated on
    the `inference` workers. `?wait=N` (seconds, at most 60) waits for it and answers 200 with the finished
    (or failed) draft, or 202 if it is still running when the time is up."""

    serializer_class = SuggestionOutput
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        ticket = visible_ticket(self.request, self.kwargs["pk"])
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
        return _draft_response(request, visible_ticket(request, pk), wait=wait)


def _draft_response(request: Request, ticket: Ticket, *, wait: float | None = None) -> Response:
    """Ask for a draft of `ticket` (one the caller may see) and answer as POST .../suggestions does: 202 with
    the pending draft, or, with `?wait=N`, 200 with the finished one (202 if still running after N s)."""
    wait = _wait_seconds(request) if wait is None else wait
    suggestion = services.suggestion_request(ticket=ticket, user=request.user)
    if not wait:
        # Just created, so pending and not stale: no need to read it back.
        return Response(SuggestionOutput(suggestion).data, status=status.HTTP_202_ACCEPTED)
    streams.finished_wait(suggestion.pk, wait)
    found = visible_suggestion(request, suggestion.pk)
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


class SuggestionDetailApi(AssistScoped, APIView):
    @extend_schema(responses=SuggestionOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SuggestionOutput(visible_suggestion(request, pk)).data)


class SendInput(InputSerializer):
    text = serializers.CharField(max_length=services.MAX_REPLY_CHARS, trim_whitespace=False)
    confirm_flags = serializers.BooleanField(
        required=False,
        help_text="Send although the reply still has flags (answered 409 `open_flags` otherwise): the flags "
        "are recorded with the reply.",
    )
    external_id = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="For a reply sent from another ticketing tool: its message id there. The reply is recorded "
        "once, whether this report or that tool's message.added event arrives first.",
    )


# The 409 of a send: the common error body, with the flags when they are why. Spelled out, as the schema
# generator gives error answers no serializer of their own.
OPEN_FLAGS_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "How many sentences need a check, in a sentence."},
        "code": {"type": "string", "enum": [services.OpenFlags.code]},
        "flags": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/FlagOutput"},
            "description": "What the agent should check before sending.",
        },
    },
    "required": ["detail", "code", "flags"],
}


class SuggestionSendApi(AssistScoped, APIView):
    """Post the agent's final reply to the ticket (as a public agent message) and record the outcome:
    accepted (as drafted), edited or rewritten, with the edit distance in words.

    The reply is checked as the draft was, against what the draft had: a sentence stating a fact that no
    passage, similar ticket or the customer's record backs, or one that contradicts its passage, is a flag.
    While flags remain the answer is 409 `open_flags` with them, and nothing is sent; with
    `"confirm_flags": true` the reply is sent and the flags are recorded with it. A reply already sent from
    another ticketing tool (`external_id`) is recorded with its flags without a confirmation."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=SendInput,
        examples=[
            OpenApiExample(
                "Sent from another ticketing tool",
                request_only=True,
                value={"text": "Hi Dana, your refund is on its way.", "external_id": "ZM-9"},
            ),
            OpenApiExample(
                "Sent although a claim is flagged",
                request_only=True,
                value={"text": "Hi Dana, we will add a free month of credit.", "confirm_flags": True},
            ),
        ],
        responses={
            200: SuggestionOutput,
            409: OpenApiResponse(
                {"oneOf": [OPEN_FLAGS_SCHEMA, {"$ref": "#/components/schemas/ErrorOutput"}]},
                description="The reply has flags and the request did not confirm them (`open_flags`, with "
                "the flags), or the draft is not finished yet (`not_ready`), or was sent already "
                "(`already_sent`)",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        suggestion = visible_suggestion(request, pk)
        data = SendInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.suggestion_send(suggestion=suggestion, user=request.user, **data.validated_data)
        except services.OpenFlags as exc:
            body = {**error_body(exc.message, exc.code), "flags": FlagOutput(exc.flags, many=True).data}
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(SuggestionOutput(visible_suggestion(request, pk)).data)


class CheckInput(InputSerializer):
    text = serializers.CharField(max_length=services.MAX_REPLY_CHARS, allow_blank=True, trim_whitespace=False)


class CheckOutput(serializers.Serializer):
    flags = FlagOutput(many=True, help_text="What sending this text would need confirmed; empty when none.")


class SuggestionCheckApi(AssistScoped, APIView):
    """Check a reply the agent is writing from this draft, as sending it would: the claims no passage,
    similar ticket or the customer's record backs, and those that contradict their passage. Stores nothing;
    the console calls it as the agent types."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=CheckInput,
        responses={
            200: CheckOutput,
            409: OpenApiResponse(description="The draft is not finished yet"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        suggestion = visible_suggestion(request, pk)
        data = CheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        flags = services.suggestion_check(suggestion=suggestion, text=data.validated_data["text"])
        return Response(CheckOutput({"flags": flags}).data)


class FeedbackInput(InputSerializer):
    rating = serializers.ChoiceField(choices=Suggestion.Rating.values)
    reason = serializers.CharField(
        max_length=services.MAX_FEEDBACK_CHARS, required=False, allow_blank=True, default=""
    )


class SuggestionFeedbackApi(AssistScoped, APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=FeedbackInput, responses=SuggestionOutput)
    def post(self, request: Request, pk: int) -> Response:
        suggestion = visible_suggestion(request, pk)
        data = FeedbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.suggestion_feedback(suggestion=suggestion, **data.validated_data)
        return Response(SuggestionOutput(visible_suggestion(request, pk)).data)


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


class TicketDraftApi(AssistScoped, APIView):
    """Ask for a draft of a ticket by its id in the ticketing tool (`source` + `external_id`), for tools
    whose agents work there. Answers as `POST /api/v1/tickets/{id}/suggestions`: 202 with the pending draft,
    or with `?wait=N` (seconds, at most 60) the finished one. Report what was finally sent with
    `POST /api/v1/suggestions/{id}/send` and that tool's message id as `external_id`."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "wait",
                {"type": "number", "minimum": 0, "maximum": 60},
                description="Seconds to wait for the draft (0-60).",
            )
        ],
        request=None,
        responses={
            202: SuggestionOutput,
            200: SuggestionOutput,
            404: OpenApiResponse(description="No such ticket (or not one the caller may see)"),
        },
    )
    def post(self, request: Request, source: str, external_id: str) -> Response:
        ticket = (
            ticket_scope_for_user(user=request.user).filter(source=source, external_id=external_id).first()
        )
        if ticket is None:
            raise Http404
        return _draft_response(request, ticket)
