from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "idx.portal"
    label = "portal"
    verbose_name = "Resident portal"
