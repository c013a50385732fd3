"""Tickets and their messages over the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.fields import CallerPrimaryKeyRelatedField, InputSerializer, SlugRelatedField
from support.core.filters import FilterSet
from support.customers.models import Customer, Product
from support.tickets import rights, selectors, services
from support.tickets.models import TRANSITIONS, Team, Ticket, TicketMessage

User = get_user_model()

# --- output ----------------------------------------------------------------------------------------------


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return user.get_full_name() or user.get_username()


class TeamOutput(serializers.ModelSerializer):
    products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    members = UserRef(many=True, read_only=True, help_text="Who can be assigned the team's tickets.")

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "is_default", "products", "members"]


class CustomerRef(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    organization = serializers.CharField(
        source="organization.name", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "plan", "organization"]


class TicketTeam(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class TicketOutput(serializers.ModelSerializer):
    customer = CustomerRef(read_only=True)
    team = TicketTeam(read_only=True)
    assignee = UserRef(read_only=True, allow_null=True)
    products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    message_count = serializers.IntegerField(read_only=True, default=0)
    last_message_at = serializers.DateTimeField(read_only=True, default=None, allow_null=True)
    unread = serializers.SerializerMethodField(
        help_text="The customer wrote since you last opened the ticket (POST .../read marks it read)."
    )
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "status",
            "allowed_transitions",
            "priority",
            "channel",
            "customer",
            "team",
            "assignee",
            "products",
            "tags",
            "sla_due_at",
            "first_responded_at",
            "solved_at",
            "resolution",
            "source",
            "external_id",
            "message_count",
            "last_message_at",
            "unread",
            "created_at",
            "updated_at",
        ]

    def get_unread(self, ticket: Ticket) -> bool:
        return selectors.unread(ticket)

    def get_allowed_transitions(self, ticket: Ticket) -> list[str]:
        return sorted(TRANSITIONS[ticket.status])


class MessageOutput(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = TicketMessage
        fields = ["id", "author_kind", "author", "body", "public", "external_id", "created_at"]

    def get_author(self, message: TicketMessage) -> str:
        if message.author_name:
            return message.author_name
        if message.author_user is not None:
            return message.author_user.get_full_name() or message.author_user.get_username()
        if message.author_kind == TicketMessage.AuthorKind.CUSTOMER:
            return message.ticket.customer.name
        return message.author_kind


# --- input -----------------------------------------------------------------------------------------------


class MessageInput(InputSerializer):
    author_kind = serializers.ChoiceField(choices=TicketMessage.AuthorKind.choices, default="agent")
    body = serializers.CharField(max_length=100_000, trim_whitespace=False)
    public = serializers.BooleanField(default=True)
    author_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    created_at = serializers.DateTimeField(required=False)
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["body"].strip():
            raise serializers.ValidationError({"body": ["This field may not be blank."]})
        if attrs["author_kind"] == "customer" and not attrs["public"]:
            raise serializers.ValidationError({"public": ["Customer messages are always public."]})
        return attrs


def _agents() -> Any:
    return User.objects.filter(is_active=True)


def _teams_field(**kwargs: Any) -> CallerPrimaryKeyRelatedField:
    # Agents file tickets into, and move them to, their own teams only.
    return CallerPrimaryKeyRelatedField(
        queryset=Team.objects.all(), scope=lambda user: rights.teams_visible(user=user), **kwargs
    )


class TicketInput(InputSerializer):
    subject = serializers.CharField(max_length=300)
    customer = CallerPrimaryKeyRelatedField(
        queryset=Customer.objects.all(),
        scope=lambda user: rights.customers_fileable(user=user),
        help_text="A customer you can see, or a new one (without tickets).",
    )
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL)
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, default=Ticket.Channel.API)
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    products = SlugRelatedField(slug_field="code", queryset=Product.objects.all(), many=True, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=50)
    team = _teams_field(
        required=False,
        help_text="One of your teams. Default: the team routing picks if it is yours, else your first.",
    )
    assignee = serializers.PrimaryKeyRelatedField(queryset=_agents(), required=False, allow_null=True)
    source = serializers.SlugField(max_length=40, default="openbook")
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    messages = MessageInput(many=True, required=False)


class TicketUpdateInput(InputSerializer):
    subject = serializers.CharField(max_length=300, required=False)
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, required=False)
    products = SlugRelatedField(slug_field="code", queryset=Product.objects.all(), many=True, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=50)
    team = _teams_field(required=False, help_text="One of your teams.")
    assignee = serializers.PrimaryKeyRelatedField(queryset=_agents(), required=False, allow_null=True)
    resolution = serializers.CharField(max_length=200, required=False, allow_blank=True)


# --- filters ---------------------------------------------------------------------------------------------


class TicketFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices)
    channel = django_filters.ChoiceFilter(choices=Ticket.Channel.choices)
    team = django_filters.NumberFilter(field_name="team_id")
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text="A user id, `me`, or `none` for unassigned."
    )
    customer = django_filters.NumberFilter(field_name="customer_id")
    organization = django_filters.NumberFilter(field_name="customer__organization_id")
    tag = django_filters.CharFilter(method="filter_tag")
    product = django_filters.CharFilter(field_name="products__code", distinct=True)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    sla_due_before = django_filters.IsoDateTimeFilter(field_name="sla_due_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields = [
            "status",
            "priority",
            "channel",
            "team",
            "assignee",
            "customer",
            "organization",
            "tag",
            "product",
            "source",
            "external_id",
            "created_after",
            "created_before",
            "sla_due_before",
        ]

    def filter_assignee(self, queryset: Any, name: str, value: str) -> Any:
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if not value.isdigit() or len(value) > 18:
            raise serializers.ValidationError({"assignee": ["Use a user id, 'me' or 'none'."]})
        return queryset.filter(assignee_id=int(value))

    def filter_tag(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(tags__contains=[value.strip().lower()])


# --- views -----------------------------------------------------------------------------------------------


class _Scoped:
    read_scope = roles.TICKETS_READ
    write_scope = roles.TICKETS_WRITE


class TeamListApi(_Scoped, generics.ListAPIView):
    serializer_class = TeamOutput
    pagination_class = None
    queryset = Team.objects.none()

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Team.objects.none()
        return selectors.team_list_for_user(user=self.request.user).prefetch_related(
            "products", Prefetch("members", queryset=User.objects.filter(is_active=True).order_by("username"))
        )


class TicketListApi(_Scoped, generics.ListAPIView):
    """Tickets of the caller's teams (all tickets for administrators and integrations).

    POST creates a ticket; with a `source` + `external_id` that already exists it updates that ticket
    instead (200) and adds only the messages not seen before.
    """

    serializer_class = TicketOutput
    filterset_class = TicketFilter
    search_fields = ["subject", "customer__name", "customer__email", "external_id"]
    ordering_fields = ["created_at", "updated_at", "sla_due_at", "priority", "status"]

    def get_queryset(self) -> Any:
        return selectors.ticket_list_for_user(user=self.request.user)

    @extend_schema(
        request=TicketInput,
        examples=[
            OpenApiExample(
                "From a help desk, with its first message",
                request_only=True,
                value={
                    "subject": "Refund for my annual plan",
                    "customer": 12,
                    "priority": "normal",
                    "channel": "email",
                    "source": "zendesk",
                    "external_id": "ZD-1042",
                    "messages": [
                        {
                            "author_kind": "customer",
                            "body": "Can I get a refund?",
                            "external_id": "M-1",
                            "created_at": "2026-01-31T12:00:00Z",
                        }
                    ],
                },
            )
        ],
        responses={
            201: TicketOutput,
            200: TicketOutput,
            409: OpenApiResponse(
                description="The existing ticket (same source and external_id) cannot take the change: it is "
                "closed, or the status change is not allowed; or it is a ticket you cannot see (always the "
                "same message, naming nothing)"
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = TicketInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        messages = [
            services.MessageInput(author_user=request.user if m["author_kind"] == "agent" else None, **m)
            for m in fields.pop("messages", [])
        ]
        ticket, created = services.ticket_create(messages=messages, by=request.user, **fields)
        # The caller can see the ticket (the upserted one was looked up with their rights; a new one went
        # to one of their teams): read it back through their rights all the same.
        body = TicketOutput(selectors.ticket_list_for_user(user=request.user).get(pk=ticket.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class TicketDetailApi(_Scoped, generics.RetrieveAPIView):
    serializer_class = TicketOutput

    def get_queryset(self) -> Any:
        return selectors.ticket_list_for_user(user=self.request.user)

    @extend_schema(
        request=TicketUpdateInput,
        responses={
            200: TicketOutput,
            409: OpenApiResponse(
                description="The status change is not allowed; the answer names the allowed ones"
            ),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        ticket = self.get_object()
        data = TicketUpdateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.ticket_update(ticket=ticket, **data.validated_data)
        return Response(TicketOutput(self.get_queryset().get(pk=ticket.pk)).data)


class TicketMessageListApi(_Scoped, generics.ListAPIView):
    """The conversation, oldest first. `?public=true` leaves out internal notes."""

    serializer_class = MessageOutput
    filterset_fields = ["public", "author_kind"]
    search_fields: list[str] = []
    ordering_fields = ["created_at"]

    def _ticket(self) -> Ticket:
        ticket = selectors.ticket_scope_for_user(user=self.request.user).filter(pk=self.kwargs["pk"]).first()
        if ticket is None:
            raise Http404
        return ticket

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return TicketMessage.objects.none()
        return selectors.ticket_messages(ticket=self._ticket())

    @extend_schema(
        request=MessageInput,
        responses={
            201: MessageOutput,
            409: OpenApiResponse(description="The ticket is closed; open a new ticket instead"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = self._ticket()
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        author_user = request.user if fields["author_kind"] == "agent" else None
        message = services.message_add(
            ticket=ticket, message=services.MessageInput(author_user=author_user, **fields)
        )
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED)


class TicketReadApi(_Scoped, APIView):
    """Mark the ticket read by the caller: it stops showing as unread until the customer writes again."""

    write_scope = roles.TICKETS_READ

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_scope_for_user(user=request.user).filter(pk=pk).first()
        if ticket is None:
            raise Http404
        services.ticket_mark_read(ticket=ticket, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
