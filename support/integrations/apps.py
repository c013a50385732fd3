from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "support.integrations"
    label = "integrations"

    def ready(self) -> None:
        from support.core.events import domain_event

        from .outbound import domain_event_received

        domain_event.connect(domain_event_received, dispatch_uid="integrations.outbound")
