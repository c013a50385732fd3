from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "support.integrations"
    label = "integrations"

    def ready(self) -> None:
        from support.core import events

        from . import receivers

        events.subscribe(events.WEBHOOK_EVENT, receivers.webhook_event_record)
