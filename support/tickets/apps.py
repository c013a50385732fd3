from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "support.tickets"
    label = "tickets"

    def ready(self) -> None:
        from support.core import events

        from . import receivers

        events.subscribe(events.CUSTOMER_ERASED, receivers.customer_erased)
