"""The integrations app's API addresses (under /api/v1/): sources and the signed inbound events, outbound
subscriptions and their deliveries. A draft asked for by a tool's ticket id is `assist.urls`."""

from django.urls import path

from . import views

urlpatterns = [
    path("integrations/sources", views.SourceListApi.as_view(), name="integration-sources"),
    path("integrations/sources/<int:pk>", views.SourceDetailApi.as_view(), name="integration-source"),
    path("integrations/deliveries", views.DeliveryListApi.as_view(), name="integration-deliveries"),
    path("integrations/subscriptions", views.SubscriptionListApi.as_view(), name="subscriptions"),
    path(
        "integrations/subscriptions/<int:pk>",
        views.SubscriptionDetailApi.as_view(),
        name="subscription",
    ),
    path(
        "integrations/outbound-deliveries",
        views.OutboundDeliveryListApi.as_view(),
        name="outbound-deliveries",
    ),
    path(
        "integrations/outbound-deliveries/<int:pk>",
        views.OutboundDeliveryDetailApi.as_view(),
        name="outbound-delivery",
    ),
    path(
        "integrations/outbound-deliveries/<int:pk>/redeliver",
        views.OutboundRedeliverApi.as_view(),
        name="outbound-redeliver",
    ),
    path("integrations/<slug:source>/events", views.EventApi.as_view(), name="integration-events"),
]
