from django.apps import AppConfig


class DxplanConfig(AppConfig):
    name = "idx.dxplan"
    label = "dxplan"
    verbose_name = "DX action plan"
    default_auto_field = "django.db.models.BigAutoField"
