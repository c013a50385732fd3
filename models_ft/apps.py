from django.apps import AppConfig


class ModelsFtConfig(AppConfig):
    name = "models_ft"
    label = "models_ft"
    verbose_name = "Models and fine-tuning"

    def ready(self) -> None:
        from support.core import events, metrics

        from . import receivers
        from .runs import TrainingRunsCollector

        metrics.scrape_collector_register(TrainingRunsCollector())
        events.subscribe(events.CUSTOMER_ERASED, receivers.customer_erased)
        events.subscribe(events.CUSTOMER_CONSENT_WITHDRAWN, receivers.customer_consent_withdrawn)
