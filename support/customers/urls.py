"""The customers app's API addresses (under /api/v1/): products, plans and incidents. Customers and
organizations are `support.tickets.urls`."""

from django.urls import path

from . import views

urlpatterns = [
    path("products", views.ProductListApi.as_view(), name="products"),
    path("products/<int:pk>", views.ProductDetailApi.as_view(), name="product"),
    path("plans", views.PlanListApi.as_view(), name="plans"),
    path("incidents", views.IncidentListApi.as_view(), name="incidents"),
    path("incidents/<int:pk>", views.IncidentDetailApi.as_view(), name="incident"),
    path("incidents/<int:pk>/updates", views.IncidentUpdateListApi.as_view(), name="incident-updates"),
]
