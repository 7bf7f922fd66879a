from django.apps import AppConfig


class E2EConfig(AppConfig):
    name = "e2e"
    verbose_name = "End-to-end encryption"
