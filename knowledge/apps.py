from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        # Connects the Celery worker signals that make worker processes embed queries themselves.
        from . import query_embedding  # noqa: F401
