"""Customers and organizations over the API, as the caller may see them.

They are served here, with the tickets, because the rights policy (`support.tickets.rights`) decides which
customers an agent sees by the tickets of their teams: the customers app below knows nothing of teams.
Products, plans and incidents, which everyone with tickets:read sees, are `support.customers.views`.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.fields import CallerPrimaryKeyRelatedField, InputSerializer, SlugRelatedField
from support.core.filters import FilterSet
from support.customers import services as customer_services
from support.customers.models import Customer, Organization, Plan, Product, Subscription
from support.tickets import rights, selectors, services

# --- output ----------------------------------------------------------------------------------------------


class OrganizationOutput(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "domain", "country", "plan", "source", "external_id", "created_at"]


class OrganizationRef(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug"]


class SubscriptionOutput(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "plan", "status", "interval", "seats", "started_at", "renews_at", "cancelled_at"]


class CustomerOutput(serializers.ModelSerializer):
    organization = OrganizationRef(read_only=True, allow_null=True)
    plan = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "language",
            "organization",
            "plan",
            "products",
            "account_status",
            "training_consent",
            "source",
            "external_id",
            "created_at",
            "updated_at",
        ]


class CustomerDetailOutput(CustomerOutput):
    subscriptions = SubscriptionOutput(many=True, read_only=True)

    class Meta(CustomerOutput.Meta):
        fields = [*CustomerOutput.Meta.fields, "subscriptions"]


# --- input -----------------------------------------------------------------------------------------------


class CustomerInput(InputSerializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    language = serializers.RegexField(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=12, required=False)
    organization = CallerPrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        scope=lambda user: rights.organizations_assignable(user=user),
        required=False,
        allow_null=True,
        help_text="An organization you can see, or a new one (without customers).",
    )
    plan = serializers.SlugRelatedField(
        slug_field="code", queryset=Plan.objects.all(), required=False, allow_null=True
    )
    products = SlugRelatedField(slug_field="code", queryset=Product.objects.all(), many=True, required=False)
    account_status = serializers.ChoiceField(choices=Customer.AccountStatus.choices, required=False)
    training_consent = serializers.BooleanField(required=False)
    source = serializers.SlugField(max_length=40, default="openbook")
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)


class OrganizationInput(InputSerializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=80)
    domain = serializers.CharField(max_length=200, required=False, allow_blank=True)
    country = serializers.RegexField(
        r"^[A-Z]{2}$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": "Use an ISO 3166-1 alpha-2 code such as DE."},
    )
    plan = serializers.SlugRelatedField(
        slug_field="code", queryset=Plan.objects.all(), required=False, allow_null=True
    )


# --- filters ---------------------------------------------------------------------------------------------


class CustomerFilter(FilterSet):
    organization = django_filters.NumberFilter(field_name="organization_id")
    plan = django_filters.CharFilter(field_name="plan__code")
    product = django_filters.CharFilter(field_name="products__code", distinct=True)
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")

    class Meta:
        model = Customer
        fields = [
            "organization",
            "plan",
            "product",
            "email",
            "language",
            "account_status",
            "training_consent",
            "source",
            "external_id",
        ]


# --- views -----------------------------------------------------------------------------------------------


class _Scoped:
    read_scope = roles.TICKETS_READ
    write_scope = roles.TICKETS_WRITE


class CustomerListApi(_Scoped, generics.ListAPIView):
    """Customers the caller may see. POST creates one, or updates the one with the same source+external_id."""

    serializer_class = CustomerOutput
    filterset_class = CustomerFilter
    search_fields = ["name", "email", "phone", "organization__name"]
    ordering_fields = ["name", "created_at", "email"]

    def get_queryset(self) -> Any:
        return selectors.customer_list_for_user(user=self.request.user)

    @extend_schema(
        request=CustomerInput,
        responses={
            201: CustomerDetailOutput,
            200: CustomerDetailOutput,
            409: OpenApiResponse(
                description="Another customer has this e-mail address; or the e-mail address or external id "
                "belongs to a customer you cannot see (always the same message, naming no one)"
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = CustomerInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields.get("external_id"):
            customer, created = services.customer_upsert(by=request.user, **fields)
        else:
            fields.pop("external_id", None)
            customer, created = services.customer_create(by=request.user, **fields), True
        return Response(
            CustomerDetailOutput(customer).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CustomerDetailApi(_Scoped, generics.RetrieveAPIView):
    serializer_class = CustomerDetailOutput

    def get_queryset(self) -> Any:
        return selectors.customer_list_for_user(user=self.request.user).prefetch_related(
            "subscriptions__plan"
        )

    @extend_schema(
        request=CustomerInput(partial=True),
        responses={
            200: CustomerDetailOutput,
            409: OpenApiResponse(description="Another customer has this e-mail address"),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        customer = self.get_object()
        data = CustomerInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        customer = customer_services.customer_update(customer=customer, **data.validated_data)
        return Response(CustomerDetailOutput(self.get_queryset().get(pk=customer.pk)).data)


class CustomerEraseApi(APIView):
    """Erase a customer's personal data (administrators): name, e-mail, phone and external id; what they wrote
    on tickets; the drafts' prompts that quoted them; their training examples and every dataset snapshot
    that held one. The record keeps its id, so tickets stay whole. Cannot be undone."""

    read_scope = roles.ADMIN
    write_scope = roles.ADMIN

    @extend_schema(request=None, responses=CustomerDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        customer = selectors.customer_list_for_user(user=request.user).filter(pk=pk).first()
        if customer is None:
            raise Http404
        customer_services.customer_erase(customer=customer)
        found = selectors.customer_list_for_user(user=request.user).prefetch_related("subscriptions__plan")
        return Response(CustomerDetailOutput(found.get(pk=pk)).data)


class OrganizationListApi(_Scoped, generics.ListAPIView):
    serializer_class = OrganizationOutput
    filterset_fields = ["plan__code", "country", "slug", "source", "external_id"]
    search_fields = ["name", "domain", "slug"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self) -> Any:
        return selectors.organization_list_for_user(user=self.request.user)

    @extend_schema(
        request=OrganizationInput,
        responses={201: OrganizationOutput, 409: OpenApiResponse(description="The slug is taken")},
    )
    def post(self, request: Request) -> Response:
        data = OrganizationInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization = customer_services.organization_create(**data.validated_data)
        return Response(OrganizationOutput(organization).data, status=status.HTTP_201_CREATED)


class OrganizationDetailApi(_Scoped, generics.RetrieveAPIView):
    serializer_class = OrganizationOutput

    def get_queryset(self) -> Any:
        return selectors.organization_list_for_user(user=self.request.user)

    @extend_schema(
        request=OrganizationInput(partial=True),
        responses={200: OrganizationOutput, 409: OpenApiResponse(description="The slug is taken")},
    )
    def patch(self, request: Request, pk: int) -> Response:
        organization = self.get_object()
        data = OrganizationInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(
            OrganizationOutput(
                customer_services.organization_update(organization=organization, **data.validated_data)
            ).data
        )
