from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "idx.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the shipped payment providers.
        from idx.payments import providers  # noqa: F401
