from django.apps import AppConfig


class HandoverConfig(AppConfig):
    name = "idx.handover"
    label = "handover"
    verbose_name = "Hand-over to core systems"
    default_auto_field = "django.db.models.BigAutoField"
