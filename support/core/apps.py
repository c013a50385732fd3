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
        from django.contrib.auth.signals import user_login_failed

        from . import schema  # noqa: F401 - registers the OpenAPI descriptions of our authentication
        from .signin import sign_in_failed

        # Failed sign-ins are counted per username whichever way they came (support.core.signin).
        user_login_failed.connect(sign_in_failed, dispatch_uid="openbook-sign-in-failed")
        from .metrics import QueueCollector, scrape_collector_register

        scrape_collector_register(QueueCollector())
