from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "idx.applications"
    label = "applications"
    verbose_name = "Applications"
