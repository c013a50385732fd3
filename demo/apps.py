from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company: its data files and the commands that load them. Present in a checkout, never in a
    production image, and imported by nothing in the product."""

    name = "demo"
    label = "demo"
    verbose_name = "Demo company"
