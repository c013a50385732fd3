"""The console's API addresses (under /api/v1/): knowledge search for hit testing, drafts and their
streams, precedents, the generation audit, and drafts asked for by a ticketing tool's ticket id."""

from django.urls import path

from .views import drafts, precedents, search, streams

urlpatterns = [
    path("knowledge/search", search.SearchApi.as_view(), name="knowledge-search"),
    path("knowledge/search/judgments", search.JudgmentApi.as_view(), name="knowledge-judgments"),
    path(
        "tickets/<int:pk>/suggestions",
        drafts.TicketSuggestionListApi.as_view(),
        name="ticket-suggestions",
    ),
    path("tickets/<int:pk>/precedents", precedents.TicketPrecedentsApi.as_view(), name="ticket-precedents"),
    path("suggestions/<int:pk>", drafts.SuggestionDetailApi.as_view(), name="suggestion"),
    path("suggestions/<int:pk>/stream", streams.SuggestionStreamApi.as_view(), name="suggestion-stream"),
    path("suggestions/<int:pk>/send", drafts.SuggestionSendApi.as_view(), name="suggestion-send"),
    path("suggestions/<int:pk>/check", drafts.SuggestionCheckApi.as_view(), name="suggestion-check"),
    path("suggestions/<int:pk>/feedback", drafts.SuggestionFeedbackApi.as_view(), name="suggestion-feedback"),
    path("audit/generations", drafts.GenerationAuditApi.as_view(), name="audit-generations"),
    path(
        "integrations/<slug:source>/tickets/<str:external_id>/drafts",
        drafts.TicketDraftApi.as_view(),
        name="integration-ticket-drafts",
    ),
]
