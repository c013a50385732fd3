from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from assist.views import drafts, precedents, search, streams
from knowledge import views as knowledge
from models_ft import views as training
from support.core import views as core
from support.core.pages import admin_login
from support.core.pages import console as web_console
from support.customers import views as customers
from support.integrations import views as integrations
from support.tickets.views import customers as customer_views
from support.tickets.views import tickets

api_v1 = [
    path("health", core.HealthApi.as_view(), name="health"),
    path("me", core.MeApi.as_view(), name="me"),
    path("auth/session", core.SessionApi.as_view(), name="session"),
    path("api-keys", core.ApiKeyListApi.as_view(), name="api-keys"),
    path("api-keys/<int:pk>", core.ApiKeyDetailApi.as_view(), name="api-key"),
    path("organizations", customer_views.OrganizationListApi.as_view(), name="organizations"),
    path("organizations/<int:pk>", customer_views.OrganizationDetailApi.as_view(), name="organization"),
    path("customers", customer_views.CustomerListApi.as_view(), name="customers"),
    path("customers/<int:pk>", customer_views.CustomerDetailApi.as_view(), name="customer"),
    path("customers/<int:pk>/erase", customer_views.CustomerEraseApi.as_view(), name="customer-erase"),
    path("products", customers.ProductListApi.as_view(), name="products"),
    path("products/<int:pk>", customers.ProductDetailApi.as_view(), name="product"),
    path("plans", customers.PlanListApi.as_view(), name="plans"),
    path("incidents", customers.IncidentListApi.as_view(), name="incidents"),
    path("incidents/<int:pk>", customers.IncidentDetailApi.as_view(), name="incident"),
    path("incidents/<int:pk>/updates", customers.IncidentUpdateListApi.as_view(), name="incident-updates"),
    path("teams", tickets.TeamListApi.as_view(), name="teams"),
    path("tickets", tickets.TicketListApi.as_view(), name="tickets"),
    path("tickets/<int:pk>", tickets.TicketDetailApi.as_view(), name="ticket"),
    path("tickets/<int:pk>/messages", tickets.TicketMessageListApi.as_view(), name="ticket-messages"),
    path("tickets/<int:pk>/read", tickets.TicketReadApi.as_view(), name="ticket-read"),
    path("knowledge/documents", knowledge.DocumentListApi.as_view(), name="documents"),
    path("knowledge/documents/upload", knowledge.DocumentUploadApi.as_view(), name="documents-upload"),
    path("knowledge/documents/<int:pk>", knowledge.DocumentDetailApi.as_view(), name="document"),
    path(
        "knowledge/documents/<int:pk>/versions", knowledge.VersionListApi.as_view(), name="document-versions"
    ),
    path(
        "knowledge/documents/<int:pk>/versions/<int:number>",
        knowledge.VersionDetailApi.as_view(),
        name="document-version",
    ),
    path(
        "knowledge/documents/<int:pk>/versions/<int:number>/restore",
        knowledge.VersionRestoreApi.as_view(),
        name="document-version-restore",
    ),
    path("knowledge/versions", knowledge.VersionLookupApi.as_view(), name="knowledge-versions"),
    path("knowledge/options", knowledge.OptionsApi.as_view(), name="knowledge-options"),
    path("knowledge/search", search.SearchApi.as_view(), name="knowledge-search"),
    path(
        "tickets/<int:pk>/suggestions",
        drafts.TicketSuggestionListApi.as_view(),
        name="ticket-suggestions",
    ),
    path("tickets/<int:pk>/precedents", precedents.TicketPrecedentsApi.as_view(), name="ticket-precedents"),
    path("suggestions/<int:pk>", drafts.SuggestionDetailApi.as_view(), name="suggestion"),
    path("suggestions/<int:pk>/stream", streams.SuggestionStreamApi.as_view(), name="suggestion-stream"),
    path("suggestions/<int:pk>/send", drafts.SuggestionSendApi.as_view(), name="suggestion-send"),
    path("suggestions/<int:pk>/feedback", drafts.SuggestionFeedbackApi.as_view(), name="suggestion-feedback"),
    path("audit/generations", drafts.GenerationAuditApi.as_view(), name="audit-generations"),
    path("training/examples", training.ExampleListApi.as_view(), name="training-examples"),
    path("training/examples/<int:pk>/reject", training.ExampleRejectApi.as_view(), name="training-reject"),
    path("training/snapshots", training.SnapshotListApi.as_view(), name="training-snapshots"),
    path("training/runs", training.RunListApi.as_view(), name="training-runs"),
    path("training/runs/<int:pk>", training.RunDetailApi.as_view(), name="training-run"),
    path("training/runs/<int:pk>/cancel", training.RunCancelApi.as_view(), name="training-run-cancel"),
    path("training/adapters", training.AdapterListApi.as_view(), name="training-adapters"),
    path("training/adapters/rollback", training.AdapterRollbackApi.as_view(), name="training-rollback"),
    path("training/adapters/<int:pk>", training.AdapterDetailApi.as_view(), name="training-adapter"),
    path("training/adapters/<int:pk>/promote", training.AdapterPromoteApi.as_view(), name="training-promote"),
    path("training/evaluations", training.EvaluationListApi.as_view(), name="training-evaluations"),
    path("training/evaluations/<int:pk>", training.EvaluationDetailApi.as_view(), name="training-evaluation"),
    path("training/events", training.EventListApi.as_view(), name="training-events"),
    path("knowledge/index", knowledge.IndexStatusApi.as_view(), name="knowledge-index"),
    path("integrations/sources", integrations.SourceListApi.as_view(), name="integration-sources"),
    path("integrations/sources/<int:pk>", integrations.SourceDetailApi.as_view(), name="integration-source"),
    path("integrations/deliveries", integrations.DeliveryListApi.as_view(), name="integration-deliveries"),
    path("integrations/subscriptions", integrations.SubscriptionListApi.as_view(), name="subscriptions"),
    path(
        "integrations/subscriptions/<int:pk>",
        integrations.SubscriptionDetailApi.as_view(),
        name="subscription",
    ),
    path(
        "integrations/outbound-deliveries",
        integrations.OutboundDeliveryListApi.as_view(),
        name="outbound-deliveries",
    ),
    path(
        "integrations/outbound-deliveries/<int:pk>",
        integrations.OutboundDeliveryDetailApi.as_view(),
        name="outbound-delivery",
    ),
    path(
        "integrations/outbound-deliveries/<int:pk>/redeliver",
        integrations.OutboundRedeliverApi.as_view(),
        name="outbound-redeliver",
    ),
    path("integrations/<slug:source>/events", integrations.EventApi.as_view(), name="integration-events"),
    path(
        "integrations/<slug:source>/tickets/<str:external_id>/drafts",
        drafts.TicketDraftApi.as_view(),
        name="integration-ticket-drafts",
    ),
]

urlpatterns = [
    # The admin's own login view, behind the sign-in limits; every other admin page is the admin's.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (`?script`): no inline script, so the
    # page works under the Content-Security-Policy.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="openbook/swagger_ui.html"),
        name="docs",
    ),
    path("api/v1/", include(api_v1)),
    # Every other address belongs to the web console, which routes in the browser.
    path("", web_console, name="landing"),
    re_path(r"^(?:login|tickets|knowledge|models|integrations)(?:/.*)?$", web_console, name="console"),
]

handler400 = "support.core.errors.handler400"
handler404 = "support.core.errors.handler404"
handler500 = "support.core.errors.handler500"
