from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "idx.assist"
    label = "assist"
    verbose_name = "FAQ assistant and inquiries"
    default_auto_field = "django.db.models.BigAutoField"
