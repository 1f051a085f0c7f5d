from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "idx.identity"
    label = "identity"
    verbose_name = "Identity"
