from django.apps import AppConfig


class ModelsFtConfig(AppConfig):
    name = "models_ft"
    label = "models_ft"
    verbose_name = "Models and fine-tuning"

    def ready(self) -> None:
        from support.core import metrics

        from .runs import TrainingRunsCollector

        metrics.scrape_collector_register(TrainingRunsCollector())
