from django.apps import AppConfig


class ModelsFtConfig(AppConfig):
    name = "models_ft"
    label = "models_ft"
    verbose_name = "Models and fine-tuning"
