from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "idx.api"
    label = "api"
    verbose_name = "JSON API"
