from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "idx.backoffice"
    label = "backoffice"
    verbose_name = "Back office"
