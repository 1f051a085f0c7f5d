from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "idx.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the shipped payment providers in idx.payments.providers.providers.
        import idx.payments.contrib.counter  # noqa: F401
        import idx.payments.contrib.eltax  # noqa: F401
        import idx.payments.contrib.hosted  # noqa: F401
        import idx.payments.contrib.jpqr  # noqa: F401
