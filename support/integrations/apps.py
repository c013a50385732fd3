from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "support.integrations"
    label = "integrations"
