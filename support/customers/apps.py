from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "support.customers"
    label = "customers"
