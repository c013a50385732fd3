"""The kernel's API addresses (under /api/v1/): health, the caller, the session and API keys."""

from django.urls import path

from . import views

urlpatterns = [
    path("health", views.HealthApi.as_view(), name="health"),
    path("me", views.MeApi.as_view(), name="me"),
    path("auth/session", views.SessionApi.as_view(), name="session"),
    path("api-keys", views.ApiKeyListApi.as_view(), name="api-keys"),
    path("api-keys/<int:pk>", views.ApiKeyDetailApi.as_view(), name="api-key"),
]
