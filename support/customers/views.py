"""Customers, organizations, products and incidents over the API."""

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
from support.core.filters import BooleanFilter, FilterSet
from support.tickets import rights

from . import selectors, services
from .models import Customer, Incident, IncidentUpdate, Organization, Plan, Product, Subscription

# --- output ----------------------------------------------------------------------------------------------


class ProductOutput(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name", "description", "is_hardware", "created_at"]


class PlanOutput(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["code", "name", "rank", "max_users", "first_response_hours"]


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


class IncidentUpdateOutput(serializers.ModelSerializer):
    class Meta:
        model = IncidentUpdate
        fields = ["id", "status", "message", "created_at"]


class IncidentOutput(serializers.ModelSerializer):
    products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    updates = IncidentUpdateOutput(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "status",
            "is_active",
            "products",
            "started_at",
            "resolved_at",
            "customer_summary",
            "updates",
            "source",
            "external_id",
            "created_at",
        ]


# --- input -----------------------------------------------------------------------------------------------


def _products_field(**kwargs: Any) -> SlugRelatedField:
    return SlugRelatedField(slug_field="code", queryset=Product.objects.all(), many=True, **kwargs)


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
    products = _products_field(required=False)
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


class ProductInput(InputSerializer):
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    is_hardware = serializers.BooleanField(required=False)


class IncidentInput(InputSerializer):
    title = serializers.CharField(max_length=200)
    customer_summary = serializers.CharField(max_length=5000)
    products = _products_field(allow_empty=False)
    status = serializers.ChoiceField(choices=Incident.Status.choices, required=False)
    started_at = serializers.DateTimeField(required=False)


class IncidentUpdateInput(InputSerializer):
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    message = serializers.CharField(max_length=5000)


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


class IncidentFilter(FilterSet):
    product = django_filters.CharFilter(field_name="products__code", distinct=True)
    active = BooleanFilter(method="filter_active")

    class Meta:
        model = Incident
        fields = ["status", "product", "active", "source", "external_id"]

    def filter_active(self, queryset: Any, name: str, value: bool) -> Any:
        if value:
            return queryset.filter(status__in=Incident.ACTIVE_STATUSES)
        return queryset.exclude(status__in=Incident.ACTIVE_STATUSES)


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
        customer = services.customer_update(customer=customer, **data.validated_data)
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
        services.customer_erase(customer=customer)
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
        organization = services.organization_create(**data.validated_data)
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
                services.organization_update(organization=organization, **data.validated_data)
            ).data
        )


class ProductListApi(generics.ListAPIView):
    """The product catalogue: readable by anyone with tickets:read; changed by administrators."""

    read_scope = roles.TICKETS_READ
    write_scope = roles.ADMIN
    serializer_class = ProductOutput
    queryset = Product.objects.all()
    filterset_fields = ["code", "is_hardware"]
    search_fields = ["name", "code", "description"]

    @extend_schema(
        request=ProductInput,
        responses={201: ProductOutput, 409: OpenApiResponse(description="The code is taken")},
    )
    def post(self, request: Request) -> Response:
        data = ProductInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            ProductOutput(services.product_create(**data.validated_data)).data, status=status.HTTP_201_CREATED
        )


class ProductDetailApi(generics.RetrieveAPIView):
    read_scope = roles.TICKETS_READ
    write_scope = roles.ADMIN
    serializer_class = ProductOutput
    queryset = Product.objects.all()

    @extend_schema(
        request=ProductInput(partial=True),
        responses={200: ProductOutput, 409: OpenApiResponse(description="The code is taken")},
    )
    def patch(self, request: Request, pk: int) -> Response:
        product = self.get_object()
        data = ProductInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(ProductOutput(services.product_update(product=product, **data.validated_data)).data)


class PlanListApi(generics.ListAPIView):
    read_scope = roles.TICKETS_READ
    serializer_class = PlanOutput
    queryset = Plan.objects.all()
    pagination_class = None


class IncidentListApi(generics.ListAPIView):
    read_scope = roles.TICKETS_READ
    write_scope = roles.ADMIN
    serializer_class = IncidentOutput
    queryset = Incident.objects.prefetch_related("products", "updates")
    filterset_class = IncidentFilter
    search_fields = ["title", "customer_summary"]
    ordering_fields = ["started_at", "resolved_at"]

    @extend_schema(request=IncidentInput, responses={201: IncidentOutput})
    def post(self, request: Request) -> Response:
        data = IncidentInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_create(**data.validated_data)
        return Response(
            IncidentOutput(self.get_queryset().get(pk=incident.pk)).data, status=status.HTTP_201_CREATED
        )


class IncidentDetailApi(generics.RetrieveAPIView):
    read_scope = roles.TICKETS_READ
    write_scope = roles.ADMIN
    serializer_class = IncidentOutput
    queryset = Incident.objects.prefetch_related("products", "updates")

    @extend_schema(request=IncidentInput(partial=True), responses=IncidentOutput)
    def patch(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data = IncidentInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        new_status = fields.pop("status", None)
        fields.pop("started_at", None)
        services.incident_update(incident=incident, **fields)
        if new_status and new_status != incident.status:
            services.incident_status_change(
                incident=incident, status=new_status, message=f"Status changed to {new_status}."
            )
        return Response(IncidentOutput(self.get_queryset().get(pk=incident.pk)).data)


class IncidentUpdateListApi(generics.GenericAPIView):
    """Append to an incident's status timeline."""

    read_scope = roles.TICKETS_READ
    write_scope = roles.ADMIN
    queryset = Incident.objects.all()
    serializer_class = IncidentUpdateOutput

    @extend_schema(request=IncidentUpdateInput, responses={201: IncidentUpdateOutput})
    def post(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data = IncidentUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        update = services.incident_status_change(incident=incident, **data.validated_data)
        return Response(IncidentUpdateOutput(update).data, status=status.HTTP_201_CREATED)
