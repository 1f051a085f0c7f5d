from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "idx.assist"
    label = "assist"
    verbose_name = "FAQ assistant and inquiries"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The message purpose of inquiries, so that cities can word it (checked at save).
        from idx.assist.messages import INQUIRY_PLACEHOLDERS
        from idx.notifications.services import register_placeholders

        for purpose, placeholders in INQUIRY_PLACEHOLDERS.items():
            register_placeholders(purpose, placeholders)
