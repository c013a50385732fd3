"""Products, plans and incidents over the API.

Customers and organizations are served by `support.tickets.views.customers`: which of them an agent sees
depends on the tickets of their teams (`support.tickets.rights`).
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from support.core import roles
from support.core.fields import InputSerializer, SlugRelatedField
from support.core.filters import BooleanFilter, FilterSet

from . import services
from .models import Incident, IncidentUpdate, Plan, Product

# --- output ----------------------------------------------------------------------------------------------


class ProductOutput(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name", "description", "is_hardware", "created_at"]


class PlanOutput(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["code", "name", "rank", "max_users", "first_response_hours"]


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
