from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "support.tickets"
    label = "tickets"
