from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "support.tickets"
    label = "tickets"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
