"""The training side's API addresses (under /api/v1/): examples, snapshots, runs, adapters, evaluations
and the adapter history."""

from django.urls import path

from . import views

urlpatterns = [
    path("training/examples", views.ExampleListApi.as_view(), name="training-examples"),
    path("training/examples/<int:pk>/reject", views.ExampleRejectApi.as_view(), name="training-reject"),
    path("training/snapshots", views.SnapshotListApi.as_view(), name="training-snapshots"),
    path("training/runs", views.RunListApi.as_view(), name="training-runs"),
    path("training/runs/<int:pk>", views.RunDetailApi.as_view(), name="training-run"),
    path("training/runs/<int:pk>/cancel", views.RunCancelApi.as_view(), name="training-run-cancel"),
    path("training/adapters", views.AdapterListApi.as_view(), name="training-adapters"),
    path("training/adapters/rollback", views.AdapterRollbackApi.as_view(), name="training-rollback"),
    path("training/adapters/<int:pk>", views.AdapterDetailApi.as_view(), name="training-adapter"),
    path("training/adapters/<int:pk>/promote", views.AdapterPromoteApi.as_view(), name="training-promote"),
    path("training/evaluations", views.EvaluationListApi.as_view(), name="training-evaluations"),
    path("training/evaluations/<int:pk>", views.EvaluationDetailApi.as_view(), name="training-evaluation"),
    path("training/events", views.EventListApi.as_view(), name="training-events"),
]
