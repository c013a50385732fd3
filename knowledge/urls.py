"""The knowledge base's API addresses (under /api/v1/): documents, their versions, options and the index."""

from django.urls import path

from . import views

urlpatterns = [
    path("knowledge/documents", views.DocumentListApi.as_view(), name="documents"),
    path("knowledge/documents/upload", views.DocumentUploadApi.as_view(), name="documents-upload"),
    path("knowledge/documents/<int:pk>", views.DocumentDetailApi.as_view(), name="document"),
    path("knowledge/documents/<int:pk>/versions", views.VersionListApi.as_view(), name="document-versions"),
    path(
        "knowledge/documents/<int:pk>/versions/<int:number>",
        views.VersionDetailApi.as_view(),
        name="document-version",
    ),
    path(
        "knowledge/documents/<int:pk>/versions/<int:number>/restore",
        views.VersionRestoreApi.as_view(),
        name="document-version-restore",
    ),
    path("knowledge/versions", views.VersionLookupApi.as_view(), name="knowledge-versions"),
    path("knowledge/options", views.OptionsApi.as_view(), name="knowledge-options"),
    path("knowledge/index", views.IndexStatusApi.as_view(), name="knowledge-index"),
    path("knowledge/retriever", views.RetrieverApi.as_view(), name="retriever"),
    path("knowledge/retriever/train", views.RetrieverTrainApi.as_view(), name="retriever-train"),
    path("knowledge/retriever/rollback", views.RetrieverRollbackApi.as_view(), name="retriever-rollback"),
    path(
        "knowledge/retriever/runs/<int:pk>/promote",
        views.RetrieverPromoteApi.as_view(),
        name="retriever-promote",
    ),
]
