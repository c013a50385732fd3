from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "assist"
    label = "console"
    verbose_name = "Agent console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from support.core import events

        from . import receivers

        events.subscribe(events.TICKET_MESSAGE_CREATED, receivers.ticket_message_created, after_commit=True)
        events.subscribe(events.CUSTOMER_ERASED, receivers.customer_erased)
        events.subscribe(events.CUSTOMER_CONSENT_WITHDRAWN, receivers.customer_consent_withdrawn)
