from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "assist"
    label = "console"
    verbose_name = "Agent console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
