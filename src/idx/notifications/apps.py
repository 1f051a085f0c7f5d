from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "idx.notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the shipped channels.
        from idx.notifications import channels  # noqa: F401
