from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender: AppConfig, **kwargs: object) -> None:
    from .services import roles_ensure

    roles_ensure()


class CoreConfig(AppConfig):
    name = "support.core"
    label = "core"
    verbose_name = "Openbook core"

    def ready(self) -> None:
        # Permissions exist only after every app migrated, so the role groups are synced then.
        post_migrate.connect(_ensure_roles, dispatch_uid="openbook-roles")
        from . import schema  # noqa: F401 - registers the OpenAPI descriptions of our authentication
        from .metrics import QueueCollector, scrape_collector_register

        scrape_collector_register(QueueCollector())
